package dev.passthru.xen;

import dev.passthru.InputError;
import dev.passthru.bus.GuestDomain;
import dev.passthru.config.CapabilityWalker;
import dev.passthru.device.MsixLayout;
import dev.passthru.host.Assignability;
import dev.passthru.host.HostBar;
import dev.passthru.host.HostConfig;
import dev.passthru.host.HostFunction;
import dev.passthru.host.Inventory;
import dev.passthru.host.sysfs.SysfsReset;
import dev.passthru.hypervisor.Hypervisor;
import dev.passthru.hypervisor.HypervisorState;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.SpecOptions;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.passthru.pci.CapabilityIds.PCI_CAP_ID_MSIX;

/**
 * A Xen domain (made by xl, often paused: {@code xl create -p}) as a VM's domain. Before a
 * function is attached it must be pciback's (where {@code xl pci-assignable-add} puts it and
 * where Xen learns its MSI-X table), it is reset through sysfs, and Xen is told its MSI-X table
 * BAR and RDM policy; its interrupt enables are then dom0's to turn on and off
 * ({@link XenHostInterrupts}). After a detach the domain waits for Xen to let a dying domain's
 * function go, and resets it again. Xen checks isolation itself when it assigns.
 */
public final class XenGuestDomain implements GuestDomain {

    /** How long settling waits for Xen to give a dying domain's function back. */
    private static final long RELEASE_WAIT_MILLIS = 10_000;

    private final XenControl xen;
    private final XenHypervisor hypervisor;
    private final int domain;
    private final boolean allowUnresettable;
    private boolean gone;

    /** @param allowUnresettable whether a function the kernel cannot reset may be attached (as it is) */
    public XenGuestDomain(XenControl xen, XenHypervisor hypervisor, int domain, boolean allowUnresettable) {
        this.xen = xen;
        this.hypervisor = hypervisor;
        this.domain = domain;
        this.allowUnresettable = allowUnresettable;
    }

    /**
     * Why a function cannot be given to a Xen domain, before anything is done: Xen may not take
     * it (a bridge, a BAR of unknown size), it is not pciback's, or it cannot be reset and
     * {@code allowUnresettable} is false; empty when it can.
     */
    public static Optional<String> refusal(HostFunction function, Assignability.Verdict verdict, boolean allowUnresettable) {
        if (!verdict.assignable()) {
            return Optional.of(function.address() + " cannot be given to a guest: " + verdict.reason());
        }
        return notGiven(function, allowUnresettable);
    }

    /** Why Xen cannot be given the function now: it is not pciback's, or cannot be reset and that is not allowed. */
    private static Optional<String> notGiven(HostFunction function, boolean allowUnresettable) {
        String driver = function.binding().driver().orElse("");
        if (!driver.equals("pciback") && !driver.equals("xen-pciback")) {
            return Optional.of(function.address() + " is " + (driver.isEmpty() ? "bound to no driver" : "bound to " + driver)
                    + ", not to pciback: give it to Xen first with 'xl pci-assignable-add " + function.address() + "'");
        }
        Optional<String> unresettable = SysfsReset.unresettable(Path.of(function.source()));
        if (unresettable.isPresent() && !allowUnresettable) {
            return Optional.of(function.address() + " cannot be reset: " + unresettable.get()
                    + "; give --allow-unresettable to attach it anyway");
        }
        return Optional.empty();
    }

    @Override
    public int id() {
        return domain;
    }

    @Override
    public Hypervisor hypervisor() {
        return hypervisor;
    }

    @Override
    public String kind() {
        return "xen";
    }

    @Override
    public Map<PciAddress, Assignability.Verdict> verdicts(Inventory inventory, boolean seize) {
        return Assignability.judgeIsolatedByHypervisor(inventory, seize);
    }

    /** The pciback check, the reset (where the kernel can) and what Xen must know of the function. */
    @Override
    public Prepared prepare(HostFunction function, SpecOptions options) {
        notGiven(function, allowUnresettable).ifPresent(why -> {
            throw new InputError(why);
        });
        Path dir = Path.of(function.source());
        String done;
        if (SysfsReset.unresettable(dir).isPresent()) {
            done = "not reset: it cannot be";
        } else {
            try {
                done = "reset: " + SysfsReset.reset(dir);
            } catch (IOException e) {
                throw new InputError(function.address() + ": the reset before attach failed: " + e.getMessage());
            }
        }
        return described(function, options, done);
    }

    /** A function an earlier daemon gave the domain: still pciback's, and not reset, since the guest is using it. */
    @Override
    public Prepared resume(HostFunction function, SpecOptions options) {
        notGiven(function, allowUnresettable).ifPresent(why -> {
            throw new InputError(why);
        });
        return described(function, options, "taken over: not reset, the guest is using it");
    }

    private Prepared described(HostFunction function, SpecOptions options, String done) {
        hypervisor.describe(function.address(), new XenHypervisor.Facts(options.effectiveRdmPolicy(), msixTableBar(function)));
        return new Prepared(done, XenHostInterrupts.of(function.config()));
    }

    /** Waits for Xen to let go of the function (a dying domain's takes a while), then resets it. */
    @Override
    public Settled settle(HostFunction function) {
        boolean held = heldForGuest(function.address(), gone());
        Path dir = Path.of(function.source());
        List<String> failures = new ArrayList<>();
        String done;
        if (held) {
            done = "not reset: Xen still gives it to a guest";
        } else if (SysfsReset.unresettable(dir).isPresent()) {
            done = "not reset: it cannot be";
        } else {
            try {
                done = "reset: " + SysfsReset.reset(dir);
            } catch (IOException e) {
                done = "reset failed";
                failures.add("reset after detach: " + e.getMessage());
            }
        }
        return new Settled(held, done, failures);
    }

    /** Whether the domain is gone (being destroyed or destroyed); once gone, what passthru made for it is forgotten. */
    @Override
    public synchronized boolean gone() {
        if (!gone && xen.domainState(domain) == XenControl.DomainState.GONE) {
            gone = true;
            hypervisor.forget(domain);
        }
        return gone;
    }

    @Override
    public HypervisorState state() {
        return hypervisor.state(domain);
    }

    /** Xen does not count what it delivers. */
    @Override
    public Map<Integer, Long> injections() {
        return Map.of();
    }

    @Override
    public void close() {
    }

    /** Whether Xen still gives the function to a guest; for a dying domain ({@code wait}), after a while to let it go. */
    private boolean heldForGuest(PciAddress machine, boolean wait) {
        long until = System.nanoTime() + RELEASE_WAIT_MILLIS * 1_000_000;
        while (xen.heldForGuest(XenSbdf.of(machine))) {
            if (!wait || System.nanoTime() > until) {
                return true;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
        }
        return false;
    }

    /** The machine address of the BAR holding the function's MSI-X table, 0 when it has none: Xen's map_pirq_msi needs it. */
    static long msixTableBar(HostFunction function) {
        HostConfig config = function.config();
        return CapabilityWalker.walk(config).find(PCI_CAP_ID_MSIX)
                .map(msix -> MsixLayout.read(config, msix.offset()).tableBar())
                .flatMap(bar -> function.bars().bar(bar))
                .map(HostBar::address).orElse(0L);
    }
}
