package dev.passthru.bus;

import dev.passthru.device.HostInterruptControl;
import dev.passthru.host.Assignability;
import dev.passthru.host.HostFunction;
import dev.passthru.host.Inventory;
import dev.passthru.hypervisor.Hypervisor;
import dev.passthru.hypervisor.HypervisorState;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.SpecOptions;

import java.util.List;
import java.util.Map;

/**
 * The domain a VM's bus belongs to, on the hypervisor that runs it. The per-function calls go
 * through {@link #hypervisor()}; the rest is what hypervisors do differently around them: which
 * functions may be given, what is done to a function before it is attached and after it was
 * detached, and whether the domain still lives. One implementation per hypervisor; the VM model
 * above knows none of them.
 */
public interface GuestDomain extends AutoCloseable {

    /** What was done to a function before it was attached, and who follows its host interrupt enables. */
    record Prepared(String done, HostInterruptControl hostInterrupts) {
    }

    /**
     * What became of a function after it was detached.
     *
     * @param heldForGuest whether the hypervisor still gives it to a guest
     * @param done         what was done to it on the host ("reset: flr"), or why nothing was
     * @param failures     steps that failed
     */
    record Settled(boolean heldForGuest, String done, List<String> failures) {
    }

    int id();

    Hypervisor hypervisor();

    /** The hypervisor as a VM config's {@code passthru_hypervisor} names it: "simulated" or "xen". */
    String kind();

    /** Which functions of {@code inventory} may be given to a guest here; {@code seize} as xl's seize=1. */
    Map<PciAddress, Assignability.Verdict> verdicts(Inventory inventory, boolean seize);

    /**
     * Readies a function to be attached to this domain.
     *
     * @throws dev.passthru.InputError when it cannot be given to this domain; nothing was done
     */
    Prepared prepare(HostFunction function, SpecOptions options);

    /**
     * Readies a function that an earlier device model attached to this domain and that the guest
     * is using: what {@link #prepare} does, but nothing is done to the function itself (no reset).
     *
     * @throws dev.passthru.InputError when it cannot be given to this domain; nothing was done
     */
    Prepared resume(HostFunction function, SpecOptions options);

    /** The function was detached, or let go of with its domain: puts it back in order on the host. */
    Settled settle(HostFunction function);

    /** Whether the domain is gone: the hypervisor took back by itself what it held for the guest. */
    boolean gone();

    /** What the hypervisor holds for this domain now: its tables, and the functions assigned to it. */
    HypervisorState state();

    /** Interrupts delivered to the domain so far, by pirq, where the hypervisor counts them (else empty). */
    Map<Integer, Long> injections();

    @Override
    void close();
}
