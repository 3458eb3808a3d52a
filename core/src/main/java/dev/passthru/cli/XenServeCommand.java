package dev.passthru.cli;

import dev.passthru.InputError;
import dev.passthru.SyntaxError;
import dev.passthru.device.AttachFailed;
import dev.passthru.device.DetachReport;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.host.Assignability;
import dev.passthru.host.HostFunction;
import dev.passthru.host.Inventory;
import dev.passthru.host.sysfs.SysfsSource;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.AssignmentSpec;
import dev.passthru.spec.SpecParser;
import dev.passthru.xen.ForeignIoreqCalls;
import dev.passthru.xen.ForeignXenControl;
import dev.passthru.xen.IoreqServer;
import dev.passthru.xen.XenDeviceModel;
import dev.passthru.xen.XenHypervisor;
import dev.passthru.xen.XenLibraries;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code passthru xen serve}: be the device model of a running (or paused) Xen domain's
 * pass-through functions until told to stop, then take everything down.
 */
final class XenServeCommand implements Callable<Integer> {

    /** Guest slots given to specs without @SLOT: above where Xen's QEMU puts its own devices. */
    private static final int FIRST_FREE_SLOT = 0x10;

    private static final long DEFAULT_FRAMES_PER_CALL = 4096;

    private CommandSpec command;

    static CommandSpec spec() {
        XenServeCommand serve = new XenServeCommand();
        CommandSpec spec = Specs.command(serve, "serve",
                "Be the device model of a Xen domain's pass-through functions: assign each function to the domain "
                        + "through Xen, serve its config space to the guest from an ioreq server, map its BARs where the "
                        + "guest puts them and route its interrupts with real hypercalls. Runs until stdin says 'detach' "
                        + "or closes, or until SIGTERM; then detaches every function and takes the server down. "
                        + "stdin 'status' prints where each BAR is and what is mapped.");
        spec.addPositional(Specs.positional(0, "DOMAIN", "The domain id (xl list)."));
        spec.addPositional(PositionalParamSpec.builder().index("1..*").arity("1..*").type(List.class)
                .auxiliaryTypes(String.class).paramLabel("SPEC")
                .description("xl's PCI_SPEC_STRING: BDF[@SLOT][,rdm_policy=strict|relaxed][,permissive=1]...").build());
        spec.addOption(Specs.text("--sysfs", "DIR", "Where the host's functions are (default: /sys/bus/pci). The device "
                + "model writes their config space there: the guest's writes that pass through reach the device."));
        spec.addOption(Specs.text("--frames-per-call", "N",
                "Frames per xc_domain_memory_mapping call (default 4096: Xen maps 64 frames per pass and continues "
                        + "by itself, so larger calls save only the trips into the kernel; measured in the README)."));
        Specs.footer(spec, "Example (in dom0, the guest created paused):",
                "  xl pci-assignable-add 0000:03:00.0 && xl create -p guest.cfg",
                "  passthru xen serve 1 0000:03:00.0@5 & xl unpause 1",
                "", "Exit status: 0 served and detached cleanly, 1 a hypercall failed, 2 bad input or no Xen here.");
        serve.command = spec;
        return spec;
    }

    @Override
    public Integer call() throws IOException {
        Args args = Args.of(command);
        int domain = number(args.positional(0), "domain id");
        List<AssignmentSpec> specs = new ArrayList<>();
        for (String text : args.positionals(1)) {
            try {
                specs.add(SpecParser.parseXl(text));
            } catch (SyntaxError e) {
                throw new InputError("bad spec " + e.getMessage());
            }
        }
        long framesPerCall = args.text("--frames-per-call") != null ? number(args.text("--frames-per-call"), "--frames-per-call") : DEFAULT_FRAMES_PER_CALL;
        Optional<String> missing = XenLibraries.missing();
        if (missing.isPresent()) {
            throw new InputError(missing.get());
        }
        String sysfs = args.text("--sysfs");
        Inventory inventory = new SysfsSource(sysfs != null ? Path.of(sysfs) : SysfsSource.DEFAULT_ROOT, true).scan();
        PrintWriter out = command.commandLine().getOut();
        ForeignXenControl control = new ForeignXenControl();
        ForeignIoreqCalls calls = new ForeignIoreqCalls();
        XenHypervisor hypervisor = new XenHypervisor(control, framesPerCall);
        IoreqServer server = IoreqServer.start(calls, domain);
        out.printf("domain %d: ioreq server %d, %d vCPU(s)%n", domain, server.id(), server.vcpus());
        XenDeviceModel model = new XenDeviceModel(hypervisor, server, domain);
        Thread hook = new Thread(() -> stop(model, out, calls, control));
        Runtime.getRuntime().addShutdownHook(hook);
        int slot = FIRST_FREE_SLOT;
        try {
            for (AssignmentSpec spec : specs) {
                HostFunction function = inventory.find(spec.address()).orElseThrow(() -> new InputError(
                        "no function " + spec.address() + " in " + inventory.source()));
                Assignability.Verdict verdict = Assignability.judgeIsolatedByHypervisor(inventory, false).get(function.address());
                PciAddress guest = PciAddress.of(0, 0, spec.vslot() != AssignmentSpec.AUTO_SLOT ? spec.vslot() : slot++, 0);
                model.attach(function, spec, guest, verdict);
                out.printf("attached %s to domain %d as %s%n", function.address(), domain, guest);
            }
        } catch (InputError | AttachFailed e) {
            Runtime.getRuntime().removeShutdownHook(hook);
            stop(model, out, calls, control);
            throw e instanceof AttachFailed failed ? new InputError(failed.getMessage()) : e;
        }
        out.println("serving; 'status' or 'detach' on stdin, or SIGTERM");
        out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null && !line.strip().equals("detach"); ) {
            if (line.strip().equals("status")) {
                status(model, out);
            }
        }
        Runtime.getRuntime().removeShutdownHook(hook);
        return stop(model, out, calls, control) ? ExitCodes.OK : ExitCodes.FAILED;
    }

    private static void status(XenDeviceModel model, PrintWriter out) {
        for (PassthroughDevice device : model.devices()) {
            for (var bar : device.function().bars().bars()) {
                out.printf("%s BAR %d at 0x%x: mapped %s%n", device.guestAddress(), bar.index(),
                        device.guestBarAddress(bar.index()), device.mappedRuns(bar.index()));
            }
        }
        out.printf("ioreqs answered: %d config, %d MMIO; memory_mapping calls: %d%n", model.server().configAccesses(),
                model.server().mmioAccesses(), model.hypervisor().mappingCalls());
        out.flush();
    }

    private static synchronized boolean stop(XenDeviceModel model, PrintWriter out, ForeignIoreqCalls calls,
                                             ForeignXenControl control) {
        boolean clean = true;
        status(model, out);
        for (PassthroughDevice device : model.devices()) {
            DetachReport report = model.detach(device.function().address());
            clean &= report.failures().isEmpty();
            out.printf("detached %s: %s%n", device.function().address(),
                    report.failures().isEmpty() ? "clean" : String.join("; ", report.failures()));
        }
        try {
            model.close();
            out.println("ioreq server destroyed");
        } catch (RuntimeException e) {
            out.println("taking the ioreq server down failed: " + e.getMessage());
            clean = false;
        }
        calls.close();
        control.close();
        out.flush();
        return clean;
    }

    private static int number(String text, String what) {
        try {
            int value = Integer.decode(text);
            if (value < 0) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new InputError("bad " + what + " '" + text + "': expected a number such as 1");
        }
    }
}
