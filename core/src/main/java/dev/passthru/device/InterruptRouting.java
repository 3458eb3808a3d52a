package dev.passthru.device;

import dev.passthru.config.MsiState;
import dev.passthru.config.VirtualConfigSpace;
import dev.passthru.host.HostInterrupts;
import dev.passthru.hypervisor.Hypervisor;
import dev.passthru.hypervisor.HypervisorException;
import dev.passthru.pci.PciAddress;
import org.jspecify.annotations.Nullable;

import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * The function's interrupts as the hypervisor routes them, kept in line with what the guest
 * programmed. INTx: the host GSI's pirq is bound to the guest device's pin while INTx is
 * enabled and neither MSI nor MSI-X is on. MSI: each enabled, unmasked vector has a pirq bound
 * to the guest's address and data (multi-message MSI puts the vector number in the low data
 * bits). MSI-X: each unmasked entry of an enabled, unmasked table likewise. A vector whose
 * message leaves masking to the hypervisor ({@link Hypervisor#leavesMaskingToHypervisor}) counts
 * as unmasked. A vector that changes its message, goes masked or is disabled gives its pirq
 * back (a new message may ask for another pirq). After each change the host function's own
 * enables are brought in line through the {@link HostInterruptControl}.
 */
final class InterruptRouting {

    /** MSI allows at most 32 vectors. */
    private static final int MSI_VECTORS = 32;

    /** A vector's pirq (0: none) and the message it is bound with, if bound. */
    private static final class Vector {
        int pirq;
        boolean bound;
        long address;
        int data;
    }

    private final Hypervisor hypervisor;
    private final int domain;
    private final PciAddress machine;
    private final PciAddress guest;
    private final int pin;
    private final int gsi;
    private final Vector[] msi = new Vector[MSI_VECTORS];
    private final Vector[] msix;
    private final HostInterrupts host;
    private final boolean[] routed = new boolean[HostInterrupts.Kind.values().length];
    private final HostInterruptControl control;
    private HostInterruptControl.@Nullable RoutedInterrupts followed;
    private int msiVectors;
    private int intxPirq;
    private boolean intxBound;

    /**
     * @param pin the function's interrupt pin (1-4, 0 for none)
     * @param gsi the host GSI its pin is wired to, 0 when unknown or none
     */
    InterruptRouting(Hypervisor hypervisor, int domain, PciAddress machine, PciAddress guest, int pin, int gsi,
                     int msixEntries, HostInterrupts host, HostInterruptControl control) {
        this.host = host;
        this.control = control;
        this.hypervisor = hypervisor;
        this.domain = domain;
        this.machine = machine;
        this.guest = guest;
        this.pin = pin;
        this.gsi = gsi;
        this.msix = new Vector[msixEntries];
    }

    /** Maps the INTx GSI to a pirq, where the function has a pin wired to one. */
    void mapIntx(Failures failures) {
        if (pin == 0 || gsi <= 0) {
            return;
        }
        try {
            intxPirq = hypervisor.mapGsi(domain, machine, gsi);
        } catch (HypervisorException e) {
            failures.failed(e);
        }
    }

    /**
     * Brings INTx and MSI in line with the config space, and every MSI-X entry with the table
     * when {@code allMsix} (the MSI-X enable or function mask changed).
     */
    void sync(VirtualConfigSpace config, @Nullable MsixTable table, boolean allMsix, Failures failures) {
        MsiState state = config.msi();
        int vectors = state.enabled() ? state.vectors() : 0;
        for (int v = 0; v < MSI_VECTORS; v++) {
            int data = (state.data() & ~(vectors - 1)) | v;
            boolean unmasked = (state.maskBits() & (1 << v)) == 0 || hypervisor.leavesMaskingToHypervisor(state.address(), data);
            route(msi, v, false, v < vectors && unmasked, state.address(), data, failures);
        }
        if (table != null && allMsix) {
            for (int entry = 0; entry < msix.length; entry++) {
                routeMsix(config, table, entry, failures);
            }
        }
        syncIntx(config, failures);
        msiVectors = vectors;
        syncHost();
        syncControl(config);
    }

    /** Tells the host side what is routed now, if that changed. */
    private void syncControl(VirtualConfigSpace config) {
        HostInterruptControl.RoutedInterrupts now = new HostInterruptControl.RoutedInterrupts(intxBound, anyBound(msi),
                config.msixEnabled(), config.msixFunctionMasked());
        if (!now.equals(followed)) {
            control.follow(now);
            followed = now;
        }
    }

    /**
     * Has the host backend deliver the function's interrupts of each kind while any vector of
     * that kind is bound, each one injected through the hypervisor into the guest.
     */
    private void syncHost() {
        // Stops first: a host takes one kind at a time (VFIO refuses INTx while MSI is on).
        follow(HostInterrupts.Kind.INTX, intxBound, false, 1, v -> inject(intxPirq));
        follow(HostInterrupts.Kind.MSI, anyBound(msi), false, Math.max(1, msiVectors), v -> inject(pirq(msi, v)));
        follow(HostInterrupts.Kind.MSIX, anyBound(msix), false, Math.max(1, msix.length), v -> inject(pirq(msix, v)));
        follow(HostInterrupts.Kind.INTX, intxBound, true, 1, v -> inject(intxPirq));
        follow(HostInterrupts.Kind.MSI, anyBound(msi), true, Math.max(1, msiVectors), v -> inject(pirq(msi, v)));
        follow(HostInterrupts.Kind.MSIX, anyBound(msix), true, Math.max(1, msix.length), v -> inject(pirq(msix, v)));
    }

    /** Starts ({@code starting}) or stops the host's delivery of {@code kind} where that is what changed. */
    private void follow(HostInterrupts.Kind kind, boolean wanted, boolean starting, int vectors, IntConsumer fired) {
        if (wanted == starting && wanted != routed[kind.ordinal()]) {
            if (wanted) {
                host.route(kind, vectors, fired);
            } else {
                host.stop(kind);
            }
            routed[kind.ordinal()] = wanted;
        }
    }

    private static boolean anyBound(Vector[] vectors) {
        for (Vector v : vectors) {
            if (v != null && v.bound) {
                return true;
            }
        }
        return false;
    }

    private static int pirq(Vector[] vectors, int index) {
        Vector v = index < vectors.length ? vectors[index] : null;
        return v != null && v.bound ? v.pirq : 0;
    }

    /** Called on the host backend's thread when the function raised an interrupt. */
    private void inject(int pirq) {
        if (pirq == 0) {
            return;
        }
        try {
            hypervisor.inject(domain, pirq);
        } catch (HypervisorException e) {
            // unbound in the meantime: the guest turned the vector off as it fired
        }
    }

    /** Brings one MSI-X entry in line, after the guest wrote it. */
    void syncMsix(VirtualConfigSpace config, MsixTable table, int entry, Failures failures) {
        routeMsix(config, table, entry, failures);
        syncHost();
        syncControl(config);
    }

    /**
     * An entry is wanted while the table is enabled and unmasked and the entry is unmasked. One
     * whose message leaves masking to the hypervisor is wanted whatever its mask bit, and once
     * bound stays bound through a function mask: the host's function mask (which Xen reads as
     * the guest's) masks it then, and binding it again would not unmask it.
     */
    private void routeMsix(VirtualConfigSpace config, MsixTable table, int entry, Failures failures) {
        long address = table.address(entry);
        int data = table.data(entry);
        boolean hypervisorMasks = address != 0 && hypervisor.leavesMaskingToHypervisor(address, data);
        Vector v = msix[entry];
        boolean bound = v != null && v.bound;
        boolean wanted = config.msixEnabled() && (hypervisorMasks
                ? !config.msixFunctionMasked() || bound
                : !config.msixFunctionMasked() && !table.masked(entry));
        route(msix, entry, true, wanted, address, data, failures);
    }

    private void syncIntx(VirtualConfigSpace config, Failures failures) {
        if (intxPirq == 0) {
            return;
        }
        boolean wanted = !config.intxDisabled() && !config.msi().enabled() && !config.msixEnabled();
        try {
            if (wanted && !intxBound) {
                hypervisor.bindIntx(domain, intxPirq, guest, pin);
                intxBound = true;
            } else if (!wanted && intxBound) {
                hypervisor.unbindIntx(domain, intxPirq, guest, pin);
                intxBound = false;
            }
        } catch (HypervisorException e) {
            failures.failed(e);
        }
    }

    private void route(Vector[] vectors, int index, boolean isMsix, boolean wanted, long address, int data, Failures failures) {
        Vector v = vectors[index];
        if (v == null) {
            if (!wanted) {
                return;
            }
            v = vectors[index] = new Vector();
        }
        try {
            boolean moved = v.address != address || v.data != data;
            if (v.bound && (!wanted || moved)) {
                hypervisor.unbindMsi(domain, v.pirq);
                v.bound = false;
            }
            if ((!wanted || moved) && v.pirq != 0) {
                hypervisor.unmapPirq(domain, machine, v.pirq);
                v.pirq = 0;
            }
            if (wanted && !v.bound) {
                if (v.pirq == 0) {
                    v.pirq = hypervisor.mapMsi(domain, machine, isMsix, index, address, data);
                }
                v.address = address;
                v.data = data;
                hypervisor.bindMsi(domain, v.pirq, address, data);
                v.bound = true;
            }
        } catch (HypervisorException e) {
            failures.failed(e);
        }
    }

    /** Unbinds and releases everything, MSI-X first, INTx last, going on past failures. */
    void releaseAll(Failures failures) {
        stopHost();
        for (int i = msix.length - 1; i >= 0; i--) {
            release(msix[i], failures);
        }
        for (int i = MSI_VECTORS - 1; i >= 0; i--) {
            release(msi[i], failures);
        }
        if (intxBound) {
            try {
                hypervisor.unbindIntx(domain, intxPirq, guest, pin);
                intxBound = false;
            } catch (HypervisorException e) {
                failures.failed(e);
            }
        }
        if (intxPirq != 0 && !intxBound) {
            try {
                hypervisor.unmapPirq(domain, machine, intxPirq);
                intxPirq = 0;
            } catch (HypervisorException e) {
                failures.failed(e);
            }
        }
        turnHostOff();
    }

    /**
     * Forgets every pirq and binding without asking the hypervisor (it took them back with the
     * domain), and turns the host's own delivery and enables off.
     */
    void forgetAll() {
        stopHost();
        Arrays.fill(msi, null);
        Arrays.fill(msix, null);
        intxPirq = 0;
        intxBound = false;
        turnHostOff();
    }

    private void stopHost() {
        for (HostInterrupts.Kind kind : HostInterrupts.Kind.values()) {
            if (routed[kind.ordinal()]) {
                host.stop(kind);
                routed[kind.ordinal()] = false;
            }
        }
    }

    private void turnHostOff() {
        if (followed != null && !followed.equals(HostInterruptControl.RoutedInterrupts.NONE)) {
            control.follow(HostInterruptControl.RoutedInterrupts.NONE);
            followed = HostInterruptControl.RoutedInterrupts.NONE;
        }
    }

    private void release(Vector v, Failures failures) {
        if (v == null) {
            return;
        }
        try {
            if (v.bound) {
                hypervisor.unbindMsi(domain, v.pirq);
                v.bound = false;
            }
            if (v.pirq != 0) {
                hypervisor.unmapPirq(domain, machine, v.pirq);
                v.pirq = 0;
            }
        } catch (HypervisorException e) {
            failures.failed(e);
        }
    }

    /** Whether any pirq is still held (a take-down step failed). */
    boolean anyHeld() {
        if (intxPirq != 0) {
            return true;
        }
        for (Vector[] vectors : new Vector[][] {msi, msix}) {
            for (Vector v : vectors) {
                if (v != null && v.pirq != 0) {
                    return true;
                }
            }
        }
        return false;
    }
}
