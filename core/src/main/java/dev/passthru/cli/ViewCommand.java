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
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code passthru view}: the guest's view of host functions recorded in an lspci dump. */
final class ViewCommand implements Callable<Integer> {

    private CommandSpec command;
    private Path dump;
    private String function;
    private boolean permissive;
    private int hex;
    private boolean registers;

    static CommandSpec spec() {
        ViewCommand view = new ViewCommand();
        CommandSpec spec = Specs.command(view, "view",
                "Show what a guest sees of host functions recorded in an lspci dump (lspci -x, -xxx or -xxxx "
                        + "output, with or without -vvv lines): BARs, the capabilities kept and hidden, and with "
                        + "-x... the guest's config space as a dump that lspci -F decodes.",
                "The view starts as after a reset: decode off, BARs at 0. --write applies guest config writes "
                        + "first, in order, and prints the effects each one asks of the hypervisor.");
        spec.addPositional(Specs.positional(0, "DUMP", "An lspci dump file."));
        spec.addOption(Specs.text(new String[] {"-s", "--function"}, "BDF", "Only this function ([DDDD:]BB:DD.F)."));
        BarSizeOptions.addTo(spec);
        spec.addOption(Specs.flag("--permissive", "Let writes to reserved bits reach the host (xl's permissive=1)."));
        spec.addOption(Specs.flag("--power-mgmt", "Let the guest program the host's D-state (xl's power_mgmt=1)."));
        spec.addOption(Specs.repeated("--write", "OFF.W=VALUE",
                "A guest config write, as setpci takes it: hex offset, width b/w/l, hex value (04.w=0007)."));
        spec.addOption(Specs.counted("-x", "Print the guest's config space as a dump instead: -x 64 bytes, "
                + "-xxx 256, -xxxx 4096 (as lspci)."));
        spec.addOption(Specs.flag("--registers", "Also list the register table: each register and how it is mediated."));
        spec.addOption(Specs.flag("--json", "Print one JSON document for tooling."));
        Specs.footer(spec, "Examples:",
                "  passthru view examples/dumps/qemu-virtio.txt",
                "  passthru view examples/dumps/qemu-virtio.txt -s 00:09.0 --write 14.l=febd6000 --write 04.w=0002",
                "  passthru view examples/dumps/amd-fiji-gpu.txt --bar 0=256M --bar 2=2M --bar 4=256 --bar 5=256K --rom 128K -xxxx > guest.txt",
                "  lspci -F guest.txt -vvv",
                "", "Exit status: 0 done, 2 bad input (a dump that does not parse, a BAR without a size, ...).");
        view.command = spec;
        return spec;
    }

    @Override
    public Integer call() {
        Args args = Args.of(command);
        dump = Path.of(args.positional(0));
        function = args.text("--function");
        permissive = args.flag("--permissive");
        hex = args.count("-x");
        registers = args.flag("--registers");
        boolean json = args.flag("--json");
        List<GuestWrite> guestWrites = args.repeated("--write").stream().map(GuestWrite::parse).toList();
        Map<Integer, Long> barSizes = BarSizeOptions.bars(args);
        Long rom = BarSizeOptions.rom(args);
        List<DumpedFunction> functions = select(LspciDumpReader.read(dump));
        ConfigOptions options = new ConfigOptions(permissive, args.flag("--power-mgmt"), ConfigOptions.DEFAULT.policy());
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
                    effects.add(w.text() + ": " + ChangeText.describe(changes, view));
                }
                if (json) {
                    documents.add(document(f, view, effects));
                } else if (hex > 0) {
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
        int wanted = hex == 1 ? 64 : hex < 4 ? 256 : 4096;
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
