package dev.passthru.qemu;

import dev.passthru.device.PassthroughDevice;
import dev.passthru.host.BarKind;
import dev.passthru.host.HostBar;

/**
 * A pass-through function as QEMU's proxy reaches it: config accesses go to its virtual config
 * space; a BAR access, which QEMU gives as an absolute guest-physical address, is resolved
 * against the BARs as the guest placed them and handed to the device (the MSI-X table and PBA
 * emulated, the rest to the host function's BAR). An address in no BAR reads all-ones.
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
        HostBar bar = barAt(address, memory);
        return bar == null ? -1L : device.mmioRead(bar.index(), address - device.guestBarAddress(bar.index()), width);
    }

    @Override
    public void barWrite(long address, int width, long value, boolean memory) {
        HostBar bar = barAt(address, memory);
        if (bar != null) {
            device.mmioWrite(bar.index(), address - device.guestBarAddress(bar.index()), width, value);
        }
    }

    @Override
    public void reset() {
        device.reset();
    }

    private HostBar barAt(long address, boolean memory) {
        for (HostBar bar : device.function().bars().bars()) {
            if ((bar.kind() != BarKind.IO) == memory) {
                long base = device.guestBarAddress(bar.index());
                if (base != 0 && address >= base && address - base < bar.size()) {
                    return bar;
                }
            }
        }
        return null;
    }
}
