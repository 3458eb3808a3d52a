package dev.passthru.vfio;

import dev.passthru.pci.PciAddress;
import org.jspecify.annotations.Nullable;

/**
 * A function's VFIO device, opened when first used and closed on {@link #release}, after which
 * the next use opens it again: detach gives the device back, and the group and container with
 * the group's last function (see {@link VfioGroup}); a later attach in the same process takes
 * them anew.
 */
public final class VfioHandle {

    private final VfioCalls calls;
    private final PciAddress address;
    private final String group;
    /** Null until first used, and again after {@link #release}. */
    private @Nullable VfioDevice device;

    public VfioHandle(VfioCalls calls, PciAddress address, String group) {
        this.calls = calls;
        this.address = address;
        this.group = group;
    }

    public PciAddress address() {
        return address;
    }

    public synchronized VfioDevice device() {
        if (device == null) {
            device = VfioDevice.open(calls, address, group);
        }
        return device;
    }

    public synchronized boolean open() {
        return device != null;
    }

    public synchronized void release() {
        if (device != null) {
            device.close();
            device = null;
        }
    }
}
