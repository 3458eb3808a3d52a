package dev.passthru.cli;

import dev.passthru.InputError;
import dev.passthru.SyntaxError;
import dev.passthru.config.ConfigOptions;
import dev.passthru.config.GuestCapability;
import dev.passthru.config.Register;
import dev.passthru.config.VirtualConfigSpace;
import dev.passthru.dump.DumpBars;
import dev.passthru.dump.DumpedFunction;
import dev.passthru.dump.LspciDumpReader;
import dev.passthru.dump.LspciDumpWriter;
import dev.passthru.host.BarLayout;
import dev.passthru.host.HostBar;
import dev.passthru.host.MemoryHostConfig;
import dev.passthru.host.Sizes;
import dev.passthru.pci.PciAddress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code passthru view}: the guest's view of host functions recorded in an lspci dump. */
@Command(name = "view",
        mixinStandardHelpOptions = true,
        description = {
                "Show what a guest sees of host functions recorded in an lspci dump (lspci -x, -xxx or -xxxx "
                        + "output, with or without -vvv lines): BARs, the capabilities kept and hidden, and with "
                        + "-x... the guest's config space as a dump that lspci -F decodes.",
                "The view starts as after a reset: decode off, BARs at 0. --write applies guest config writes "
                        + "first, in order, and prints the effects each one asks of the hypervisor."},
        footer = {"", "Examples:",
                "  passthru view examples/dumps/virtio-net.txt",
                "  passthru view examples/dumps/virtio-net.txt --write 10.l=ffffffff --write 04.w=0003",
                "  passthru view examples/dumps/amd-fiji-gpu.txt --bar 0=256M --bar 2=2M --bar 4=256 --bar 5=256K -xxxx > guest.txt",
                "  lspci -F guest.txt -vvv",
                "", "Exit status: 0 done, 2 bad input (a dump that does not parse, a BAR without a size, ...)."})
final class ViewCommand implements Callable<Integer> {

    @Spec
    private CommandSpec command;

    @Parameters(paramLabel = "DUMP", description = "An lspci dump file.")
    private Path dump;

    @Option(names = {"-s", "--function"}, paramLabel = "BDF", description = "Only this function ([DDDD:]BB:DD.F).")
    private String function;

    @Mixin
    private BarSizeOptions sizes;

    @Option(names = "--permissive", description = "Let writes to reserved bits reach the host (xl's permissive=1).")
    private boolean permissive;

    @Option(names = "--power-mgmt", description = "Let the guest program the host's D-state (xl's power_mgmt=1).")
    private boolean powerManagement;

    @Option(names = "--write", paramLabel = "OFF.W=VALUE",
            description = "A guest config write, as setpci takes it: hex offset, width b/w/l, hex value (04.w=0007).")
    private List<String> writes = new ArrayList<>();

    @Option(names = "-x", description = "Print the guest's config space as a dump instead: -x 64 bytes, "
            + "-xxx 256, -xxxx 4096 (as lspci).")
    private boolean[] hex = new boolean[0];

    @Option(names = "--registers", description = "Also list the register table: each register and how it is mediated.")
    private boolean registers;

    @Option(names = "--json", description = "Print one JSON document for tooling.")
    private boolean json;

    @Override
    public Integer call() {
        List<GuestWrite> guestWrites = writes.stream().map(GuestWrite::parse).toList();
        Map<Integer, Long> barSizes = sizes.bars();
        Long rom = sizes.rom();
        List<DumpedFunction> functions = select(LspciDumpReader.read(dump));
        ConfigOptions options = new ConfigOptions(permissive, powerManagement, ConfigOptions.DEFAULT.policy());
        PrintWriter out = command.commandLine().getOut();
        StringBuilder text = new StringBuilder();
        List<Object> documents = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (DumpedFunction f : functions) {
            try {
                BarLayout bars = DumpBars.layout(f, barSizes, rom);
                VirtualConfigSpace view = VirtualConfigSpace.create(MemoryHostConfig.of(f.config()), bars, options);
                List<String> effects = new ArrayList<>();
                for (GuestWrite w : guestWrites) {
                    int changes = view.write(w.offset(), w.width(), w.value());
                    effects.add(w.text() + ": " + EffectText.describe(view.effects(changes)));
                }
                if (json) {
                    documents.add(document(f, view, effects));
                } else if (hex.length > 0) {
                    LspciDumpWriter.write(text, f.address(), f.description(), view.guestBytes(dumpLength(f, view)));
                } else {
                    summary(text, f, view, effects);
                }
            } catch (InputError e) {
                failures.add(e.getMessage());
            }
        }
        if (json) {
            out.print(Json.write(documents.size() == 1 && function != null ? documents.getFirst() : documents));
            out.println();
        } else {
            out.print(text);
        }
        failures.forEach(m -> command.commandLine().getErr().println("passthru: " + m));
        return failures.isEmpty() ? ExitCodes.OK : ExitCodes.BAD_INPUT;
    }

    private List<DumpedFunction> select(List<DumpedFunction> all) {
        if (function == null) {
            return all;
        }
        PciAddress wanted;
        try {
            wanted = PciAddress.parse(function);
        } catch (SyntaxError e) {
            throw new InputError("bad -s " + e.getMessage());
        }
        List<DumpedFunction> found = all.stream().filter(f -> f.address().equals(wanted)).toList();
        if (found.isEmpty()) {
            throw new InputError(dump + ": no function " + wanted + " (the dump has "
                    + String.join(", ", all.stream().map(f -> f.address().shortForm()).toList()) + ")");
        }
        return found;
    }

    /** lspci's lengths: -x 64 bytes, -xx and -xxx 256, -xxxx 4096; never past what the host gave. */
    private int dumpLength(DumpedFunction f, VirtualConfigSpace view) {
        int wanted = hex.length == 1 ? 64 : hex.length < 4 ? 256 : 4096;
        return Math.min(Math.min(wanted, view.size()), f.config().length);
    }

    private void summary(StringBuilder text, DumpedFunction f, VirtualConfigSpace view, List<String> effects) {
        text.append(f.address()).append(' ').append(f.description()).append('\n');
        text.append(String.format("  guest view: %d bytes of config space%s, header type %d, %s%n",
                view.size(), f.partial() ? " (the dump holds " + f.config().length + ")" : "",
                view.headerType(), permissive ? "permissive" : "not permissive"));
        for (HostBar bar : view.bars().bars()) {
            text.append(String.format("  BAR %d: %s [size=%s]%n", bar.index(), bar.describe(), Sizes.format(bar.size())));
        }
        if (view.bars().hasRom()) {
            text.append("  expansion ROM [size=").append(Sizes.format(view.bars().romSize())).append("]\n");
        }
        int width = view.capabilities().stream().mapToInt(c -> c.host().toString().length()).max().orElse(0);
        for (GuestCapability cap : view.capabilities()) {
            text.append(String.format("  %-" + width + "s  %-6s  %s%n", cap.host(), cap.kept() ? "kept" : "hidden",
                    cap.reason()));
        }
        for (String problem : view.problems()) {
            text.append("  note: ").append(problem).append('\n');
        }
        for (String effect : effects) {
            text.append("  write ").append(effect).append('\n');
        }
        if (registers) {
            List<Register> sorted = new ArrayList<>(view.registers());
            sorted.sort(java.util.Comparator.comparingInt(Register::offset));
            text.append("  register                                    virtual  writable forwarded\n");
            for (Register r : sorted) {
                text.append(String.format("  %03x/%d %-34s %08x %08x %08x%n",
                        r.offset(), r.size(), r.name(), r.emulated(), r.guestWritable(), r.forwardedBits()));
            }
        }
        text.append('\n');
    }

    private Map<String, Object> document(DumpedFunction f, VirtualConfigSpace view, List<String> effects) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("address", f.address().toString());
        doc.put("description", f.description());
        doc.put("size", view.size());
        doc.put("partial", f.partial());
        doc.put("headerType", view.headerType());
        doc.put("bars", view.bars().bars());
        doc.put("romSize", view.bars().romSize());
        List<Map<String, Object>> caps = new ArrayList<>();
        for (GuestCapability cap : view.capabilities()) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("offset", cap.host().offset());
            c.put("id", cap.host().id());
            c.put("name", cap.host().name());
            c.put("extended", cap.host().extended());
            c.put("kept", cap.kept());
            c.put("length", cap.length());
            c.put("reason", cap.reason());
            caps.add(c);
        }
        doc.put("capabilities", caps);
        doc.put("problems", view.problems());
        doc.put("writes", effects);
        doc.put("config", java.util.HexFormat.of().formatHex(view.guestBytes(Math.min(view.size(), f.config().length))));
        return doc;
    }
}
