package dev.passthru.cli;

import dev.passthru.InputError;
import dev.passthru.SyntaxError;
import dev.passthru.bus.GuestBus;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.host.Assignability;
import dev.passthru.host.BarKind;
import dev.passthru.host.HostBar;
import dev.passthru.host.HostFunction;
import dev.passthru.host.Inventory;
import dev.passthru.host.sysfs.SysfsSource;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.AssignmentSpec;
import dev.passthru.spec.SpecOptions;
import dev.passthru.spec.SpecParser;
import dev.passthru.vm.GuestFunctionReport;
import dev.passthru.vm.RunReport;
import dev.passthru.vm.Vm;
import dev.passthru.vm.VmConfig;
import dev.passthru.xen.ForeignIoreqCalls;
import dev.passthru.xen.ForeignXenControl;
import dev.passthru.xen.IoreqServer;
import dev.passthru.xen.XenGuestDomain;
import dev.passthru.xen.XenGuestSide;
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
import java.util.Set;
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
        XenGuestSide side = new XenGuestSide(server);
        Vm vm = new Vm(vmConfig(domain, args.positionals(1), specs, functions), inventory, new XenGuestDomain(control, hypervisor, domain, allowUnresettable),
                (bus, guestDomain, highRamEnd) -> side, Set.of());
        Thread hook = new Thread(() -> stop(vm, out, calls, control));
        Runtime.getRuntime().addShutdownHook(hook);
        vm.coldPlug(vm.config().pci());
        RunReport attached = vm.report();
        for (GuestFunctionReport f : attached.functions()) {
            if (f.attached()) {
                out.printf("attached %s to domain %d as %s (%s)%n", f.host(), domain, f.guest(), vm.prepared(f.host()));
            }
        }
        Optional<GuestFunctionReport> failed = attached.functions().stream().filter(f -> !f.attached()).findFirst();
        if (failed.isPresent()) {
            Runtime.getRuntime().removeShutdownHook(hook);
            out.println("attach failed: " + failed.get().failure());
            stop(vm, out, calls, control);
            return ExitCodes.FAILED;
        }
        out.println("serving; 'status' or 'detach' on stdin, or SIGTERM");
        out.flush();
        serveUntilDone(vm, out);
        Runtime.getRuntime().removeShutdownHook(hook);
        return stop(vm, out, calls, control) ? ExitCodes.OK : ExitCodes.FAILED;
    }

    /**
     * The VM that {@code xen serve} makes of its specs: each function in the slot its spec asks
     * for, or from 0x10 on, above where Xen's QEMU puts its own devices. Every slot of the bus
     * takes a function: the guest's firmware finds them all at boot.
     */
    private static VmConfig vmConfig(int domain, List<String> texts, List<AssignmentSpec> specs, List<HostFunction> functions) {
        List<VmConfig.Spec> placed = new ArrayList<>();
        int slot = FIRST_FREE_SLOT;
        for (int i = 0; i < specs.size(); i++) {
            AssignmentSpec spec = specs.get(i);
            int at = spec.vslot() != AssignmentSpec.AUTO_SLOT ? spec.vslot() : slot++;
            placed.add(new VmConfig.Spec(new AssignmentSpec(functions.get(i).address(), false, at, spec.options()),
                    texts.get(i), 0, i));
        }
        return new VmConfig("domain " + domain, 0, placed, SpecOptions.NONE, List.of(), "xen", 1, GuestBus.SLOTS - 1, List.of());
    }

    /** The checks a function passes before anything is done (see {@link XenGuestDomain#refusal}). */
    private static HostFunction checked(AssignmentSpec spec, Inventory inventory, Map<PciAddress, Assignability.Verdict> verdicts,
                                        boolean allowUnresettable) {
        HostFunction function = inventory.find(spec.address()).orElseThrow(() -> new InputError(
                "no function " + spec.address() + " in " + inventory.source()));
        XenGuestDomain.refusal(function, verdicts.get(function.address()), allowUnresettable).ifPresent(why -> {
            throw new InputError(why);
        });
        return function;
    }

    /** Reads stdin on its own thread and watches the domain, until 'detach', end of input or the domain is gone. */
    private static void serveUntilDone(Vm vm, PrintWriter out) {
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
                if (vm.domainGone()) {
                    out.printf("domain %d is gone; detaching%n", vm.domain().id());
                    return;
                }
            } else if (line.equals("status")) {
                status(vm, out);
            } else if (line.equals("detach") || line.equals(END)) {
                return;
            }
        }
    }

    private static void status(Vm vm, PrintWriter out) {
        IoreqServer server = ((XenGuestSide) vm.side()).server();
        for (PassthroughDevice device : vm.bus().devices()) {
            IoreqServer.Answered answered = server.answered(device);
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
        out.printf("ioreqs answered: %d config, %d MMIO; memory_mapping calls: %d%n", server.configAccesses(),
                server.mmioAccesses(), ((XenHypervisor) vm.domain().hypervisor()).mappingCalls());
        out.flush();
    }

    private static synchronized boolean stop(Vm vm, PrintWriter out,
                                             ForeignIoreqCalls calls, ForeignXenControl control) {
        boolean clean = true;
        status(vm, out);
        for (Vm.Detached detached : vm.detachAll("the device model stops")) {
            clean &= detached.clean();
            List<String> said = new ArrayList<>();
            if (detached.domainGone()) {
                said.add("the domain was gone, so Xen had taken back its mappings, interrupts and assignment; passthru let go of its own");
            }
            said.addAll(detached.failures());
            said.add(detached.settled().heldForGuest() ? "Xen still gives it to a guest" : "Xen holds nothing of it for the domain");
            said.add(detached.settled().done());
            out.printf("detached %s: %s%s%n", detached.host(), detached.clean() ? "clean; " : "", String.join("; ", said));
        }
        try {
            boolean gone = vm.domainGone();
            vm.close();
            out.println(gone ? "ioreq server let go (the domain took it down)" : "ioreq server destroyed");
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
