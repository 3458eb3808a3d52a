package dev.passthru.control;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What the control socket serves: the daemon's VMs on one hypervisor. {@link ControlPlane} holds
 * simulated VMs with a journal; {@link XenPlane} serves the functions of Xen domains that xl made.
 */
public interface Plane extends AutoCloseable {

    /**
     * Carries out one request; the result.
     *
     * @throws ControlError for a request that cannot be done, with nothing changed
     */
    JsonNode handle(Request request);

    @Override
    void close();
}
