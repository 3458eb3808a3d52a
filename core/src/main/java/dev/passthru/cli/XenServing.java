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
import dev.passthru.os.NativeCallFailed;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.AssignmentSpec;
import dev.passthru.spec.SpecOptions;
import dev.passthru.spec.SpecParser;
import dev.passthru.vm.GuestFunctionReport;
import dev.passthru.vm.RunReport;
import dev.passthru.vm.Vm;
import dev.passthru.vm.VmConfig;
import dev.passthru.xen.ForeignIoreqCalls;
import dev.passthru.xen.DomainWatch;
import dev.passthru.xen.ForeignXenControl;
import dev.passthru.xen.ForeignXenStore;
import dev.passthru.xen.IoreqServer;
import dev.passthru.xen.XenGuestDomain;
import dev.passthru.xen.XenGuestSide;
import dev.passthru.xen.XenHypervisor;
import dev.passthru.xen.XenLibraries;
import dev.passthru.xen.XenStore;
import dev.passthru.xen.XenVslots;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * passthru as the device model of a Xen domain's pass-through functions, for {@code xen serve}
 * and for {@code run} of a VM config whose {@code passthru_hypervisor} is "xen": the functions
 * attached through a {@link Vm} on the domain, the slot table published in xenstore, served
 * until stdin says 'detach' or closes, until SIGTERM, or until the domain is gone (xenstore's
 * {@code @releaseDomain}, or Xen's answer when asked each second); then every function is
 * detached and reset and the ioreq server taken down.
 */
final class XenServing {

    /** Guest slots given to specs without @SLOT: above where Xen's QEMU puts its own devices. */
    private static final int FIRST_FREE_SLOT = 0x10;
    private static final String END = "";
    private static final String GONE = "\u0000gone";

    private XenServing() {
    }

    /**
     * A spec as xl writes it, refused in one line where passthru does not do what it asks.
     *
     * @throws InputError for a bad spec or msitranslate=1
     */
    static AssignmentSpec spec(String text) {
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
        return spec;
    }

    /**
     * Serves the functions the specs name to the domain; the exit status. Every function is
     * checked before anything is done (see {@link XenGuestDomain#refusal}).
     *
     * @param texts    the specs as the user wrote them, for messages
     * @param defaults what a spec that does not say takes (a VM config's pci_permissive and friends)
     * @throws InputError when a function cannot be given, or Xen's libraries are missing
     */
    static int serve(int domain, List<AssignmentSpec> specs, List<String> texts, SpecOptions defaults, Inventory inventory,
                     boolean allowUnresettable, long framesPerCall, PrintWriter out) {
        Optional<String> missing = XenLibraries.missing();
        if (missing.isPresent()) {
            throw new InputError(missing.get());
        }
        Map<PciAddress, Assignability.Verdict> verdicts = Assignability.judgeIsolatedByHypervisor(inventory, false);
        List<HostFunction> functions = new ArrayList<>();
        for (AssignmentSpec spec : specs) {
            functions.add(checked(spec, inventory, verdicts, allowUnresettable));
        }
        ForeignXenControl control = new ForeignXenControl();
        ForeignIoreqCalls calls = new ForeignIoreqCalls();
        XenHypervisor hypervisor = new XenHypervisor(control, framesPerCall);
        IoreqServer server = IoreqServer.start(calls, domain);
        out.printf("domain %d: ioreq server %d, %d vCPU(s)%n", domain, server.id(), server.vcpus());
        XenGuestSide side = new XenGuestSide(server);
        Vm vm = new Vm(vmConfig(domain, texts, specs, defaults, functions), inventory, new XenGuestDomain(control, hypervisor, domain, allowUnresettable),
                (bus, guestDomain, highRamEnd) -> side, Set.of());
        ForeignXenStore store = new ForeignXenStore();
        Thread hook = new Thread(() -> stop(vm, store, out, calls, control));
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
            stop(vm, store, out, calls, control);
            return ExitCodes.FAILED;
        }
        try {
            out.printf("vslots in xenstore at %s/0/vslots: %s%n", XenVslots.backend(domain),
                    XenVslots.publish(store, domain, vm.bus().vslots()));
        } catch (InputError e) {
            Runtime.getRuntime().removeShutdownHook(hook);
            out.println("attach refused: " + e.getMessage());
            stop(vm, store, out, calls, control);
            return ExitCodes.FAILED;
        }
        out.println("serving; 'status' or 'detach' on stdin, or SIGTERM");
        out.flush();
        try (DomainWatch watch = new DomainWatch(new ForeignXenStore(), control)) {
            watch.add(domain);
            serveUntilDone(vm, watch, out);
        }
        Runtime.getRuntime().removeShutdownHook(hook);
        return stop(vm, store, out, calls, control) ? ExitCodes.OK : ExitCodes.FAILED;
    }

    /**
     * The VM that {@code xen serve} makes of its specs: each function in the slot its spec asks
     * for, or from 0x10 on, above where Xen's QEMU puts its own devices. Every slot of the bus
     * takes a function: the guest's firmware finds them all at boot.
     */
    private static VmConfig vmConfig(int domain, List<String> texts, List<AssignmentSpec> specs, SpecOptions defaults,
                                     List<HostFunction> functions) {
        List<VmConfig.Spec> placed = new ArrayList<>();
        int slot = FIRST_FREE_SLOT;
        for (int i = 0; i < specs.size(); i++) {
            AssignmentSpec spec = specs.get(i);
            int at = spec.vslot() != AssignmentSpec.AUTO_SLOT ? spec.vslot() : slot++;
            placed.add(new VmConfig.Spec(new AssignmentSpec(functions.get(i).address(), false, at, spec.options()),
                    texts.get(i), 0, i));
        }
        return new VmConfig("domain " + domain, 0, placed, defaults, List.of(), "xen", "xen", 1, GuestBus.SLOTS - 1, List.of());
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

    /**
     * Reads stdin on its own thread and waits for the domain's release on another, until
     * 'detach', end of input or the domain is gone; each second Xen is asked too, in case a
     * release was missed.
     */
    private static void serveUntilDone(Vm vm, DomainWatch watch, PrintWriter out) {
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
        Thread released = Thread.ofPlatform().daemon().name("xen-serve-release").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                if (!watch.awaitGone(1000).isEmpty()) {
                    lines.add(GONE);
                    return;
                }
            }
        });
        try {
            while (true) {
                String line;
                try {
                    line = lines.poll(1, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (GONE.equals(line) || line == null && vm.domainGone()) {
                    out.printf("domain %d is gone (%s); detaching%n", vm.domain().id(),
                            GONE.equals(line) ? "@releaseDomain" : "Xen says so");
                    return;
                } else if ("status".equals(line)) {
                    status(vm, out);
                } else if ("detach".equals(line) || END.equals(line)) {
                    return;
                }
            }
        } finally {
            released.interrupt();
            try {
                released.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
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

    private static synchronized boolean stop(Vm vm, XenStore store, PrintWriter out,
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
        try {
            XenVslots.withdraw(store, vm.domain().id());
        } catch (NativeCallFailed e) {
            out.println("taking the vslots out of xenstore failed: " + e.getMessage());
            clean = false;
        }
        store.close();
        calls.close();
        control.close();
        out.flush();
        return clean;
    }

}
