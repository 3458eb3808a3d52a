package dev.passthru.device;

import dev.passthru.hypervisor.HypervisorException;

/**
 * An attach that a hypervisor call made fail. Everything it had done was undone, in reverse;
 * if an undo step failed too, that failure is attached as suppressed and the function needs
 * cleaning up.
 */
public final class AttachFailed extends RuntimeException {

    public AttachFailed(String message, HypervisorException cause) {
        super(message + ": " + cause.getMessage(), cause);
    }
}
