package dev.passthru.hypervisor;

import java.util.OptionalLong;

/**
 * A guest's accesses that the hypervisor serves by itself, without the device model: those to
 * frames it mapped onto a machine BAR. A guest that runs inside passthru (the built-in guest)
 * reaches its mapped BAR pages here, as a real guest's accesses reach them through its p2m.
 */
public interface GuestMemory {

    /** The value read through the domain's p2m, or empty when {@code address} is not mapped there. */
    OptionalLong guestRead(int domain, long address, int width);

    /** A write through the domain's p2m; false when {@code address} is not mapped there. */
    boolean guestWrite(int domain, long address, int width, long value);
}
