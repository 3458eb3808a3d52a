package dev.passthru.device;

import dev.passthru.hypervisor.Hypervisor;

import java.util.Set;

/**
 * A backend of the hypervisor port set up with {@link DeviceRig}'s functions and domain, as the
 * device tests that must hold on every backend see it: the port, and what it holds.
 */
public interface RigBackend {

    Hypervisor hypervisor();

    /** All the backend's hypervisor holds, comparable before and after. */
    Object held();

    /** The guest frames of domain 1 that reach machine memory now. */
    Set<Long> mappedFrames();
}
