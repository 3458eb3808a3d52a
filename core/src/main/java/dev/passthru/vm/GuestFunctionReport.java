package dev.passthru.vm;

import org.jspecify.annotations.Nullable;
import dev.passthru.bus.EnumeratedFunction;
import dev.passthru.pci.PciAddress;

/**
 * One assigned function after a run: where it came from and went, or why it did not.
 *
 * @param host       the host function
 * @param spec       the spec that asked for it, as the config wrote it, its line and place in the list
 * @param guest      its address on the guest's bus; null when it was not attached
 * @param hotplug    whether its slot is a hot-plug slot (false: placed statically)
 * @param failure    why it was not attached; null when it was
 * @param guestView  the guest's config space as the guest reads it (256 or 4096 bytes); null when not attached
 * @param enumerated what the built-in guest found and did; null when not attached
 * @param attachNanos time its attach took
 */
public record GuestFunctionReport(PciAddress host, String spec, int line, int index, @Nullable PciAddress guest, boolean hotplug,
                                  @Nullable String failure, byte @Nullable [] guestView, @Nullable EnumeratedFunction enumerated,
                                  long attachNanos) {

    /** A function that was not attached, and why. */
    static GuestFunctionReport failed(PciAddress host, VmConfig.Spec spec, String why) {
        return new GuestFunctionReport(host, spec.text(), spec.line(), spec.index(), null, false, why, null, null, 0);
    }

    public boolean attached() {
        return failure == null;
    }
}
