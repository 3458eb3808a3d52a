package dev.passthru.device;

import dev.passthru.config.Effect;
import dev.passthru.config.VirtualConfigSpace;
import dev.passthru.host.HostInterrupts;
import dev.passthru.hypervisor.Hypervisor;
import dev.passthru.hypervisor.HypervisorException;
import dev.passthru.pci.PciAddress;

import java.util.function.IntConsumer;

/**
 * The function's interrupts as the hypervisor routes them, kept in line with what the guest
 * programmed. INTx: the host GSI's pirq is bound to the guest device's pin while INTx is
 * enabled and neither MSI nor MSI-X is on. MSI: each enabled, unmasked vector has a pirq bound
 * to the guest's address and data (multi-message MSI puts the vector number in the low data
 * bits). MSI-X: each unmasked entry of an enabled, unmasked table likewise. A vector that
 * changes its message is unbound and bound again; one that goes masked or disabled gives its
 * pirq back.
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
    private int msiVectors;
    private int intxPirq;
    private boolean intxBound;

    /**
     * @param pin the function's interrupt pin (1-4, 0 for none)
     * @param gsi the host GSI its pin is wired to, 0 when unknown or none
     */
    InterruptRouting(Hypervisor hypervisor, int domain, PciAddress machine, PciAddress guest, int pin, int gsi,
                     int msixEntries, HostInterrupts host) {
        this.host = host;
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

    /** Brings INTx, MSI and every MSI-X entry in line with the config space and table. */
    void sync(VirtualConfigSpace config, MsixTable table, Failures failures) {
        Effect.MsiChanged state = config.msi();
        int vectors = state.enabled() ? state.vectors() : 0;
        for (int v = 0; v < MSI_VECTORS; v++) {
            boolean wanted = v < vectors && (state.maskBits() & (1 << v)) == 0;
            int data = (state.data() & ~(vectors - 1)) | v;
            route(msi, v, wanted, state.address(), data, failures);
        }
        if (table != null) {
            for (int entry = 0; entry < msix.length; entry++) {
                syncMsix(config, table, entry, failures);
            }
        }
        syncIntx(config, failures);
        msiVectors = vectors;
        syncHost();
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
        boolean wanted = config.msixEnabled() && !config.msixFunctionMasked() && !table.masked(entry);
        route(msix, entry, wanted, table.address(entry), table.data(entry), failures);
        syncHost();
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

    private void route(Vector[] vectors, int index, boolean wanted, long address, int data, Failures failures) {
        Vector v = vectors[index];
        if (v == null) {
            if (!wanted) {
                return;
            }
            v = vectors[index] = new Vector();
        }
        try {
            if (v.bound && (!wanted || v.address != address || v.data != data)) {
                hypervisor.unbindMsi(domain, v.pirq);
                v.bound = false;
            }
            if (!wanted && v.pirq != 0) {
                hypervisor.unmapPirq(domain, machine, v.pirq);
                v.pirq = 0;
            }
            if (wanted && !v.bound) {
                if (v.pirq == 0) {
                    v.pirq = hypervisor.mapMsi(domain, machine, vectors == msix, index);
                }
                hypervisor.bindMsi(domain, v.pirq, address, data);
                v.bound = true;
                v.address = address;
                v.data = data;
            }
        } catch (HypervisorException e) {
            failures.failed(e);
        }
    }

    /** Unbinds and releases everything, MSI-X first, INTx last, going on past failures. */
    void releaseAll(Failures failures) {
        for (HostInterrupts.Kind kind : HostInterrupts.Kind.values()) {
            if (routed[kind.ordinal()]) {
                host.stop(kind);
                routed[kind.ordinal()] = false;
            }
        }
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
