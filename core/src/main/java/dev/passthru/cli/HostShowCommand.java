package dev.passthru.cli;

import dev.passthru.config.CapabilityChain;
import dev.passthru.config.CapabilityWalker;
import dev.passthru.config.HostCapability;
import dev.passthru.dump.LspciDumpWriter;
import dev.passthru.host.Assignability;
import dev.passthru.host.HostBar;
import dev.passthru.host.HostConfig;
import dev.passthru.host.HostFunction;
import dev.passthru.host.Sizes;
import dev.passthru.host.UnsizedBar;
import dev.passthru.pci.ConfigHeader;
import dev.passthru.pci.PciAddress;
import dev.passthru.pci.PciIds;
import picocli.CommandLine.Model.CommandSpec;

import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import static dev.passthru.pci.PciRegs.*;

/** {@code passthru host show}: one host function in detail. */
final class HostShowCommand implements Callable<Integer> {

    private CommandSpec command;

    static CommandSpec spec() {
        HostShowCommand show = new HostShowCommand();
        CommandSpec spec = Specs.command(show, "show",
                "Show one host function: identity, command and status, interrupt, BARs with addresses and sizes, "
                        + "capabilities, driver, IOMMU group and whether it may be given to a guest. With -x, -xxx or "
                        + "-xxxx, its config space as a dump that lspci -F decodes to the same bytes.");
        OneFunctionOptions.addTo(spec);
        spec.addOption(Specs.counted("-x", "Print the config space as a dump instead: -x 64 bytes, -xxx 256, -xxxx 4096."));
        spec.addOption(Specs.flag("-v", "Decode each capability's main fields."));
        Specs.footer(spec, "Examples:",
                "  passthru host show 00:03.0 -v",
                "  passthru host show 09:00.0 --dump examples/dumps/amd-fiji-gpu.txt --bar 0=256M --bar 2=2M --bar 4=256 --bar 5=256K --rom 128K",
                "  passthru host show 00:03.0 -xxx > f.txt && lspci -F f.txt -xxx");
        show.command = spec;
        return spec;
    }

    @Override
    public Integer call() {
        Args args = Args.of(command);
        int hex = args.count("-x");
        OneFunctionOptions.Found found = OneFunctionOptions.find(args);
        HostFunction f = found.function();
        PciAddress address = f.address();
        ConfigHeader header = f.header();
        StringBuilder out = new StringBuilder();
        if (hex > 0) {
            int wanted = hex == 1 ? 64 : hex < 4 ? 256 : 4096;
            int length = Math.min(wanted, f.config().readable()) & ~0xf;
            LspciDumpWriter.write(out, address, FunctionText.named(header, PciIds.system()), f.config().snapshot(length));
        } else {
            describe(out, f, header, Assignability.judge(found.inventory(), false).get(address), args.flag("-v"));
        }
        command.commandLine().getOut().print(out);
        return ExitCodes.OK;
    }

    private static void describe(StringBuilder out, HostFunction f, ConfigHeader h, Assignability.Verdict verdict,
                                 boolean verbose) {
        PciIds ids = PciIds.system();
        HostConfig config = f.config();
        out.append(f.address()).append(' ').append(FunctionText.named(h, ids)).append('\n');
        if (h.headerType() == PCI_HEADER_TYPE_NORMAL) {
            line(out, "Subsystem: %s [%04x:%04x]", FunctionText.subsystemName(h, ids),
                    h.subsystemVendor(), h.subsystem());
        }
        line(out, "Source: %s %s", f.origin(), f.source());
        line(out, "Control: %s", HeaderText.control(config.read(PCI_COMMAND, 2)));
        line(out, "Status: %s", HeaderText.status(config.read(PCI_STATUS, 2)));
        if (h.interruptPin() != 0) {
            line(out, "Interrupt: pin %c, IRQ %s", (char) ('A' + h.interruptPin() - 1), known(f.binding().irq()));
        }
        for (HostBar bar : f.bars().bars()) {
            line(out, "Region %d: %s at 0x%x [size=%s]", bar.index(), bar.describe(), bar.address(), Sizes.format(bar.size()));
        }
        if (f.bars().hasRom()) {
            line(out, "Expansion ROM at 0x%x [size=%s]", f.bars().romAddress(), Sizes.format(f.bars().romSize()));
        }
        for (UnsizedBar bar : f.unsized()) {
            line(out, "Region without a size: %s", bar.problem());
        }
        CapabilityChain chain = CapabilityWalker.walk(config);
        for (HostCapability cap : concat(chain.standard(), chain.extended())) {
            line(out, "Capabilities: %s", CapabilityText.describe(config, cap, verbose));
        }
        for (String problem : chain.problems()) {
            line(out, "Capabilities: %s", problem);
        }
        line(out, "Kernel driver in use: %s", f.binding().driver().orElse("none"));
        line(out, "IOMMU group: %s", f.binding().iommuGroup().orElse("none"));
        line(out, "NUMA node: %s", known(f.binding().numaNode()));
        int readable = config.readable();
        line(out, "Config space: %d bytes%s", config.size(), readable >= config.size() ? ""
                : f.origin().recorded() ? " (" + readable + " recorded)"
                : " (" + readable + " readable: reading the rest needs root)");
        line(out, "Assignable: %s", verdict);
    }

    private static List<HostCapability> concat(List<HostCapability> a, List<HostCapability> b) {
        return Stream.concat(a.stream(), b.stream()).toList();
    }

    private static String known(OptionalInt value) {
        return value.isPresent() ? Integer.toString(value.getAsInt()) : "unknown";
    }

    private static void line(StringBuilder out, String format, Object... args) {
        out.append('\t').append(String.format(format, args)).append('\n');
    }
}
