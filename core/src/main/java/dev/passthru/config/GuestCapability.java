package dev.passthru.config;

/**
 * A host capability and what the guest gets of it.
 *
 * @param host   the capability as found on the host
 * @param kept   linked into the guest's list and mediated; otherwise hidden (reads as zeros)
 * @param length bytes it covers in the guest's view
 * @param reason why it is kept or hidden
 */
public record GuestCapability(HostCapability host, boolean kept, int length, String reason) {
}
