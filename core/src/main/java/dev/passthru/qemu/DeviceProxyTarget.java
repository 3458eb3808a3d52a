package dev.passthru.qemu;

import dev.passthru.device.PassthroughDevice;

/**
 * A pass-through function as QEMU's proxy reaches it: config accesses go to its virtual config
 * space; a BAR access, which QEMU gives as an absolute guest-physical address, is resolved
 * against the BARs (and ROM) as the guest placed and decodes them and handed to the device (the
 * MSI-X table and PBA emulated, the rest to the host function's BAR). An address in no BAR
 * reads all-ones.
 */
public final class DeviceProxyTarget implements ProxyTarget {

    private final PassthroughDevice device;

    public DeviceProxyTarget(PassthroughDevice device) {
        this.device = device;
    }

    @Override
    public int configRead(int offset, int width) {
        return device.configRead(offset, width);
    }

    @Override
    public void configWrite(int offset, int width, int value) {
        device.configWrite(offset, width, value);
    }

    @Override
    public long barRead(long address, int width, boolean memory) {
        int bar = device.barAt(address, memory);
        return bar < 0 ? -1L : device.mmioRead(bar, address - device.guestBarAddress(bar), width);
    }

    @Override
    public void barWrite(long address, int width, long value, boolean memory) {
        int bar = device.barAt(address, memory);
        if (bar >= 0) {
            device.mmioWrite(bar, address - device.guestBarAddress(bar), width, value);
        }
    }

    @Override
    public void reset() {
        device.reset();
    }
}
