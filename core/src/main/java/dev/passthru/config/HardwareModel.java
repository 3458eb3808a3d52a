package dev.passthru.config;

import dev.passthru.host.BarLayout;
import dev.passthru.host.MemoryHostConfig;

/**
 * A recorded function that behaves like the hardware it was recorded from when written: the
 * register tables say which bits a device implements as writable (BAR address bits above the
 * size, command and control bits, MSI registers, device-specific space), which a 1 written
 * clears (status error bits), and which are read-only (identity, capability structure). Hidden
 * capabilities are read-only here too: nothing passthru forwards ever reaches them.
 */
public final class HardwareModel {

    private HardwareModel() {
    }

    public static MemoryHostConfig recorded(byte[] content, BarLayout bars) {
        MemoryHostConfig plain = MemoryHostConfig.of(content);
        ConfigLayout layout = LayoutCompiler.compile(plain, bars, ConfigOptions.DEFAULT);
        byte[] writable = new byte[layout.size];
        byte[] writeOneToClear = new byte[layout.size];
        for (int at = 0; at < layout.size; at++) {
            int clear = layout.virtualW1c[at] | layout.hostW1c[at];
            writeOneToClear[at] = (byte) clear;
            writable[at] = (byte) ((layout.guestWritable[at] | layout.forwarded[at]) & ~clear);
        }
        return MemoryHostConfig.withMasks(content, writable, writeOneToClear);
    }
}
