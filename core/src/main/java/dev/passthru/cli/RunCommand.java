package dev.passthru.cli;

import dev.passthru.InputError;
import dev.passthru.dump.LspciDumpWriter;
import dev.passthru.hypervisor.HypervisorState;
import dev.passthru.pci.ConfigHeader;
import dev.passthru.pci.PciIds;
import dev.passthru.vm.GuestFunctionReport;
import dev.passthru.vm.RunReport;
import dev.passthru.vm.VmConfig;
import dev.passthru.vm.VmConfigReader;
import dev.passthru.vm.VmRunner;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code passthru run}: a VM config's functions attached, enumerated by the built-in guest, and shown. */
final class RunCommand implements Callable<Integer> {

    private CommandSpec command;

    static CommandSpec spec() {
        RunCommand run = new RunCommand();
        CommandSpec spec = Specs.command(run, "run",
                "Run a VM config (xl.cfg syntax: name, memory, pci = [ SPEC, ... ], pci_permissive and friends, "
                        + "passthru_sources, passthru_hypervisor, passthru_hotplug_slots) on the simulated machine: place "
                        + "each function in a slot of the guest's bus, attach it, let the built-in guest enumerate the bus "
                        + "as firmware and a driver would, and show each function's guest view, the hypervisor's "
                        + "mappings and interrupts, and the slot table. With passthru_hypervisor = \"xen\", in dom0: be "
                        + "the device model of the functions of the Xen domain of the config's name (created by xl, "
                        + "paused, without pci = [...] in its own config) as xen serve is, until the domain is gone.");
        spec.addPositional(Specs.positional(0, "VM.cfg", "The VM config."));
        spec.addOption(Specs.repeated("--then", "ACTION", "After the guest booted, in order: plug:SPEC hot-plugs a "
                + "function (the guest enumerates it when its slot arrives), unplug:SLOT hot-unplugs a slot, "
                + "poke:SLOT:BAR:OFFSET=VALUE has the guest write a register and notes the interrupts that reach it, "
                + "config:SLOT:OFF.W=VALUE has it write its config space."));
        spec.addOption(Specs.text("--guest", "builtin|qemu", "Who is the guest (default: builtin): the built-in guest, "
                + "or a real one booted under QEMU (qemu-system-x86_64, TCG; $PASSTHRU_QEMU_ACCEL=kvm where KVM works) "
                + "with its console on this terminal, served over QEMU's multi-process link."));
        spec.addOption(Specs.text("--kernel", "FILE", "With --guest qemu: the kernel to boot (default: the newest /boot/vmlinuz-*)."));
        spec.addOption(Specs.text("--initrd", "FILE", "With --guest qemu: its initramfs (required)."));
        spec.addOption(Specs.text("--append", "ARGS", "With --guest qemu: the kernel command line (default: console=ttyS0 panic=-1)."));
        spec.addOption(Specs.flag("--json", "Print one JSON document for tooling."));
        spec.addOption(Specs.flag("--allow-unresettable", "With passthru_hypervisor = \"xen\": attach a function the "
                + "kernel cannot reset (see xen serve)."));
        spec.addOption(Specs.text("--dump", "FILE", "Also write the guest's view as an lspci -xxxx file (lspci -F FILE reads it)."));
        Specs.footer(spec, "Examples:",
                "  passthru run examples/vms/workstation.cfg",
                "  passthru run examples/vms/firecracker.cfg --json",
                "  passthru run examples/vms/server.cfg --then unplug:8 --then plug:05:00.0@9",
                "  passthru run examples/vms/workstation.cfg --dump guest.txt && lspci -F guest.txt -vv",
                "", "Exit status: 0 every function attached, 1 some did not (each with its reason), 2 a bad config.");
        run.command = spec;
        return spec;
    }

    @Override
    public Integer call() {
        Args args = Args.of(command);
        VmConfig config = VmConfigReader.read(Path.of(args.positional(0)));
        if (config.hypervisor().equals("xen")) {
            return XenRun.serve(config, args.flag("--allow-unresettable"), command.commandLine().getOut());
        }
        RunReport report = switch (args.text("--guest") == null ? "builtin" : args.text("--guest")) {
            case "builtin" -> VmRunner.run(config, args.repeated("--then"));
            case "qemu" -> {
                if (!args.repeated("--then").isEmpty()) {
                    throw new InputError("--then works with the built-in guest; hot-plug a QEMU guest through the daemon");
                }
                if (args.text("--initrd") == null) {
                    throw new InputError("--guest qemu needs --initrd FILE (an initramfs for the guest)");
                }
                yield VmRunner.runUnderQemu(config, args.text("--kernel") != null ? Path.of(args.text("--kernel")) : newestKernel(),
                        Path.of(args.text("--initrd")),
                        args.text("--append") != null ? args.text("--append") : "console=ttyS0 panic=-1", QEMU_LIMIT);
            }
            default -> throw new InputError("bad --guest '" + args.text("--guest") + "': expected builtin or qemu");
        };
        PciIds ids = PciIds.system();
        if (args.text("--dump") != null) {
            writeDump(Path.of(args.text("--dump")), report, ids);
        }
        if (args.flag("--json")) {
            command.commandLine().getOut().println(Json.write(document(report)));
        } else {
            command.commandLine().getOut().print(text(report, ids));
        }
        report.hostProblems().forEach(p -> command.commandLine().getErr().println("passthru: " + p));
        return report.allAttached() ? ExitCodes.OK : ExitCodes.FAILED;
    }

    /** How long a QEMU guest may run before it is stopped. */
    private static final Duration QEMU_LIMIT = Duration.ofHours(24);

    private static Path newestKernel() {
        try (Stream<Path> boot = Files.list(Path.of("/boot"))) {
            return boot.filter(p -> p.getFileName().toString().startsWith("vmlinuz-")).max(Comparator.naturalOrder())
                    .orElseThrow(() -> new InputError("no /boot/vmlinuz-*: give --kernel FILE"));
        } catch (IOException e) {
            throw new InputError("/boot: cannot list (" + e.getMessage() + "); give --kernel FILE");
        }
    }

    private static String text(RunReport report, PciIds ids) {
        StringBuilder out = new StringBuilder();
        long attached = report.functions().stream().filter(GuestFunctionReport::attached).count();
        long failed = report.functions().size() - attached;
        out.append(String.format("VM %s: %d MiB, %d function(s) attached%s%s%n%n", report.name(), report.memoryMib(), attached,
                failed == 0 ? "" : ", " + failed + " not",
                report.ignoredSettings().isEmpty() ? "" : " (passed over: " + String.join(", ", report.ignoredSettings()) + ")"));
        for (GuestFunctionReport f : report.functions()) {
            out.append(f.host()).append(" (line ").append(f.line()).append(", '").append(f.spec()).append("') ");
            if (!f.attached()) {
                out.append("not attached: ").append(f.failure()).append("\n\n");
                continue;
            }
            out.append("-> ").append(f.guest().shortForm()).append(f.hotplug()
                    ? String.format(", hot-plug slot 0x%02x%n", f.guest().device())
                    : String.format(", slot 0x%02x placed statically: it cannot be hot-unplugged%n", f.guest().device()));
            GuestViewText.describe(out, f.guest(), f.guestView(), f.enumerated(), ids);
            out.append('\n');
        }
        report.events().forEach(e -> out.append(e).append('\n'));
        if (!report.events().isEmpty()) {
            out.append('\n');
        }
        hypervisorText(out, report.hypervisorKind(), report.hypervisor());
        out.append("Slot table (vslots):");
        report.vslots().forEach(v -> out.append(String.format(" %s=0x%x;", v.host(), v.slot())));
        out.append('\n');
        long functions = Math.max(1, attached);
        out.append(String.format("Time: attach %.2f ms, guest enumeration %.2f ms: %.2f ms a function%n",
                report.attachNanos() / 1e6, report.enumerateNanos() / 1e6,
                (report.attachNanos() + report.enumerateNanos()) / 1e6 / functions));
        return out.toString();
    }

    private static void hypervisorText(StringBuilder out, String kind, HypervisorState state) {
        for (HypervisorState.Domain d : state.domains()) {
            out.append("Hypervisor (").append(kind).append("), domain ").append(d.id()).append(":\n");
            for (HypervisorState.P2m m : d.p2m()) {
                out.append(String.format("  map   gfn %s -> mfn %s, %d x %s (%s)%n", m.gfn(), m.mfn(), m.pages(),
                        m.pageSize(), m.function()));
            }
            for (HypervisorState.IoPorts p : d.ioPorts()) {
                out.append(String.format("  ports %s -> %s, %d (%s)%n", p.guestPort(), p.machinePort(), p.count(), p.function()));
            }
            for (HypervisorState.Intx i : d.intx()) {
                out.append(String.format("  INTx  pirq %d -> %s INT%c%n", i.pirq(), i.guestDevice(), i.pin()));
            }
            for (HypervisorState.Msi m : d.msi()) {
                out.append(String.format("  MSI   pirq %d -> vector 0x%x (address %s, data %s)%n", m.pirq(), m.vector(),
                        m.address(), m.data()));
            }
        }
    }

    private static Map<String, Object> document(RunReport report) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("name", report.name());
        doc.put("memoryMib", report.memoryMib());
        List<Map<String, Object>> functions = new ArrayList<>();
        for (GuestFunctionReport f : report.functions()) {
            Map<String, Object> fn = new LinkedHashMap<>();
            fn.put("host", f.host().toString());
            fn.put("spec", f.spec());
            fn.put("line", f.line());
            fn.put("attached", f.attached());
            if (f.attached()) {
                fn.put("guest", f.guest().toString());
                fn.put("slot", f.guest().device());
                fn.put("hotplug", f.hotplug());
                fn.put("bars", f.enumerated() != null ? f.enumerated().bars() : List.of());
                fn.put("capabilities", f.enumerated() != null ? f.enumerated().capabilities() : List.of());
                fn.put("interrupts", f.enumerated() != null ? f.enumerated().interrupts() : "");
                fn.put("config", HexFormat.of().formatHex(f.guestView()));
                fn.put("attachNanos", f.attachNanos());
            } else {
                fn.put("failure", f.failure());
            }
            functions.add(fn);
        }
        doc.put("functions", functions);
        doc.put("hypervisor", report.hypervisor());
        doc.put("vslots", report.vslots());
        doc.put("events", report.events());
        doc.put("hostProblems", report.hostProblems());
        doc.put("attachNanos", report.attachNanos());
        doc.put("enumerateNanos", report.enumerateNanos());
        return doc;
    }

    private static void writeDump(Path file, RunReport report, PciIds ids) {
        StringBuilder out = new StringBuilder();
        for (GuestFunctionReport f : report.functions()) {
            if (f.attached()) {
                LspciDumpWriter.write(out, f.guest(), FunctionText.named(ConfigHeader.of(f.guestView()), ids), f.guestView());
            }
        }
        AtomicFile.write(file, out);
    }
}
