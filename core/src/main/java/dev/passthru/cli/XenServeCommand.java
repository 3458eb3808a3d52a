package dev.passthru.cli;

import dev.passthru.InputError;
import dev.passthru.SyntaxError;
import dev.passthru.device.AttachFailed;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.host.Assignability;
import dev.passthru.host.BarKind;
import dev.passthru.host.HostBar;
import dev.passthru.host.HostFunction;
import dev.passthru.host.Inventory;
import dev.passthru.host.sysfs.SysfsReset;
import dev.passthru.host.sysfs.SysfsSource;
import dev.passthru.os.NativeCallFailed;
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
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code passthru xen serve}: be the device model of a running (or paused) Xen domain's
 * pass-through functions until told to stop or until the domain is gone, then take everything
 * down.
 */
final class XenServeCommand implements Callable<Integer> {

    /** Guest slots given to specs without @SLOT: above where Xen's QEMU puts its own devices. */
    private static final int FIRST_FREE_SLOT = 0x10;

    private static final long DEFAULT_FRAMES_PER_CALL = 4096;
    private static final String END = "";

    private CommandSpec command;

    static CommandSpec spec() {
        XenServeCommand serve = new XenServeCommand();
        CommandSpec spec = Specs.command(serve, "serve",
                "Be the device model of a Xen domain's pass-through functions: reset each function, assign it to the "
                        + "domain through Xen, serve its config space to the guest from an ioreq server, map its BARs "
                        + "where the guest puts them and route its interrupts with real hypercalls. Runs until stdin says "
                        + "'detach' or closes, until SIGTERM, or until the domain is gone; then detaches every function, "
                        + "resets it and takes the server down. stdin 'status' prints where each BAR is and what is mapped.");
        spec.addPositional(Specs.positional(0, "DOMAIN", "The domain id (xl list)."));
        spec.addPositional(PositionalParamSpec.builder().index("1..*").arity("1..*").type(List.class)
                .auxiliaryTypes(String.class).paramLabel("SPEC")
                .description("xl's PCI_SPEC_STRING: BDF[@SLOT][,rdm_policy=strict|relaxed][,permissive=1][,power_mgmt=1]."
                        + " Each function must be given to Xen first (xl pci-assignable-add BDF).").build());
        spec.addOption(Specs.text("--sysfs", "DIR", "Where the host's functions are (default: /sys/bus/pci). The device "
                + "model writes their config space and reaches their BARs there: the guest's writes that pass through "
                + "reach the device."));
        spec.addOption(Specs.text("--frames-per-call", "N",
                "Frames per xc_domain_memory_mapping call (default 4096: Xen maps 64 frames per pass and continues "
                        + "by itself, so larger calls save only the trips into the kernel; measured in the README)."));
        spec.addOption(Specs.flag("--allow-unresettable", "Attach a function the kernel cannot reset (no FLR, no PM "
                + "reset, not alone on a bus): the guest then gets it as its last user left it."));
        Specs.footer(spec, "Example (in dom0, the guest created paused):",
                "  xl pci-assignable-add 0000:03:00.0 && xl create -p guest.cfg",
                "  passthru xen serve 1 0000:03:00.0@5 & xl unpause 1",
                "", "Exit status: 0 served and detached cleanly, 1 a hypercall or reset failed, 2 bad input or no Xen here.");
        serve.command = spec;
        return spec;
    }

    @Override
    public Integer call() throws IOException {
        Args args = Args.of(command);
        int domain = number(args.positional(0), "domain id");
        List<AssignmentSpec> specs = new ArrayList<>();
        for (String text : args.positionals(1)) {
            AssignmentSpec spec;
            try {
                spec = SpecParser.parseXl(text);
            } catch (SyntaxError e) {
                throw new InputError("bad spec " + e.getMessage());
            }
            if (spec.options().effectiveMsitranslate()) {
                throw new InputError("'" + text + "': msitranslate=1 is not supported: it showed the guest INTx while the "
                        + "host used MSI, which QEMU's xen_pt dropped; the guest's own MSI and MSI-X are passed through "
                        + "instead, so leave msitranslate off");
            }
            specs.add(spec);
        }
        long framesPerCall = args.text("--frames-per-call") != null ? number(args.text("--frames-per-call"), "--frames-per-call") : DEFAULT_FRAMES_PER_CALL;
        Optional<String> missing = XenLibraries.missing();
        if (missing.isPresent()) {
            throw new InputError(missing.get());
        }
        String sysfs = args.text("--sysfs");
        Inventory inventory = new SysfsSource(sysfs != null ? Path.of(sysfs) : SysfsSource.DEFAULT_ROOT, true).scan();
        boolean allowUnresettable = args.flag("--allow-unresettable");
        Map<PciAddress, Assignability.Verdict> verdicts = Assignability.judgeIsolatedByHypervisor(inventory, false);
        List<HostFunction> functions = new ArrayList<>();
        for (AssignmentSpec spec : specs) {
            functions.add(checked(spec, inventory, verdicts, allowUnresettable));
        }
        PrintWriter out = command.commandLine().getOut();
        ForeignXenControl control = new ForeignXenControl();
        ForeignIoreqCalls calls = new ForeignIoreqCalls();
        XenHypervisor hypervisor = new XenHypervisor(control, framesPerCall);
        IoreqServer server = IoreqServer.start(calls, domain);
        out.printf("domain %d: ioreq server %d, %d vCPU(s)%n", domain, server.id(), server.vcpus());
        XenDeviceModel model = new XenDeviceModel(control, hypervisor, server, domain);
        Thread hook = new Thread(() -> stop(model, out, calls, control));
        Runtime.getRuntime().addShutdownHook(hook);
        int slot = FIRST_FREE_SLOT;
        try {
            for (int i = 0; i < specs.size(); i++) {
                AssignmentSpec spec = specs.get(i);
                HostFunction function = functions.get(i);
                PciAddress guest = PciAddress.of(0, 0, spec.vslot() != AssignmentSpec.AUTO_SLOT ? spec.vslot() : slot++, 0);
                boolean reset = SysfsReset.unresettable(Path.of(function.source())).isEmpty();
                XenDeviceModel.Attached attached = model.attach(function, spec, guest, verdicts.get(function.address()), reset);
                out.printf("attached %s to domain %d as %s (%s)%n", function.address(), domain, guest,
                        attached.resetMethod() != null ? "reset: " + attached.resetMethod() : "not reset: it cannot be");
            }
        } catch (AttachFailed | IOException | NativeCallFailed e) {
            Runtime.getRuntime().removeShutdownHook(hook);
            out.println("attach failed: " + e.getMessage());
            stop(model, out, calls, control);
            return ExitCodes.FAILED;
        }
        out.println("serving; 'status' or 'detach' on stdin, or SIGTERM");
        out.flush();
        serveUntilDone(model, out);
        Runtime.getRuntime().removeShutdownHook(hook);
        return stop(model, out, calls, control) ? ExitCodes.OK : ExitCodes.FAILED;
    }

    /**
     * The checks a function passes before anything is done: it is there, Xen may take it (a
     * bridge or a BAR of unknown size may not be given; it must be pciback's, where
     * {@code xl pci-assignable-add} puts it and where Xen learns its MSI-X table), and it can be
     * reset or the user said that need not be.
     */
    private static HostFunction checked(AssignmentSpec spec, Inventory inventory, Map<PciAddress, Assignability.Verdict> verdicts,
                                        boolean allowUnresettable) {
        HostFunction function = inventory.find(spec.address()).orElseThrow(() -> new InputError(
                "no function " + spec.address() + " in " + inventory.source()));
        Assignability.Verdict verdict = verdicts.get(function.address());
        if (!verdict.assignable()) {
            throw new InputError(function.address() + " cannot be given to a guest: " + verdict.reason());
        }
        String driver = function.binding().driver().orElse("");
        if (!driver.equals("pciback") && !driver.equals("xen-pciback")) {
            throw new InputError(function.address() + " is " + (driver.isEmpty() ? "bound to no driver" : "bound to " + driver)
                    + ", not to pciback: give it to Xen first with 'xl pci-assignable-add " + function.address() + "'");
        }
        Optional<String> unresettable = SysfsReset.unresettable(Path.of(function.source()));
        if (unresettable.isPresent() && !allowUnresettable) {
            throw new InputError(function.address() + " cannot be reset: " + unresettable.get()
                    + "; give --allow-unresettable to attach it anyway");
        }
        return function;
    }

    /** Reads stdin on its own thread and watches the domain, until 'detach', end of input or the domain is gone. */
    private static void serveUntilDone(XenDeviceModel model, PrintWriter out) {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofPlatform().daemon().name("xen-serve-stdin").start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    lines.add(line.strip());
                }
            } catch (IOException e) {
                out.println("stdin: " + e.getMessage());
            }
            lines.add(END);
        });
        while (true) {
            String line;
            try {
                line = lines.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (line == null) {
                if (model.domainGone()) {
                    out.printf("domain %d is gone; detaching%n", model.domain());
                    return;
                }
            } else if (line.equals("status")) {
                status(model, out);
            } else if (line.equals("detach") || line.equals(END)) {
                return;
            }
        }
    }

    private static void status(XenDeviceModel model, PrintWriter out) {
        for (PassthroughDevice device : model.devices()) {
            IoreqServer.Answered answered = model.server().answered(device);
            out.printf("%s: %d config, %d MMIO ioreqs%n", device.guestAddress(), answered.config(), answered.mmio());
            for (HostBar bar : device.function().bars().bars()) {
                long at = device.guestBarAddress(bar.index());
                if (bar.kind() == BarKind.IO) {
                    long mapped = device.mappedPorts(bar.index());
                    out.printf("%s BAR %d (I/O) at 0x%x: %s%n", device.guestAddress(), bar.index(), at, mapped < 0
                            ? "not mapped" : String.format("ports 0x%x-0x%x mapped to 0x%x", mapped, mapped + bar.size() - 1, bar.address()));
                } else {
                    out.printf("%s BAR %d at 0x%x: mapped %s%n", device.guestAddress(), bar.index(), at, device.mappedRuns(bar.index()));
                }
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
            PciAddress machine = device.function().address();
            XenDeviceModel.Detached detached = model.detach(machine, true);
            clean &= detached.clean();
            List<String> said = new ArrayList<>();
            if (detached.domainGone()) {
                said.add("the domain was gone, so Xen had taken back its mappings, interrupts and assignment; passthru let go of its own");
            }
            said.addAll(detached.failures());
            said.add(detached.heldForGuest() ? "Xen still gives it to a guest" : "Xen holds nothing of it for the domain");
            said.add(detached.reset());
            out.printf("detached %s: %s%s%n", machine, detached.clean() ? "clean; " : "", String.join("; ", said));
        }
        try {
            model.close();
            out.println(model.domainGone() ? "ioreq server let go (the domain took it down)" : "ioreq server destroyed");
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
