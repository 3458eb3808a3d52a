package dev.passthru.config;

import dev.passthru.host.BarKind;

/**
 * Whether an address in a BAR is one the guest could mean to use. Firmware writes all-ones to
 * size a BAR, which leaves it at the top of its space; 0 is where nothing has been placed yet;
 * I/O space ends at 64 KiB. Such BARs decode nothing, whatever the command register says.
 */
public final class BarPlacement {

    private static final long IO_SPACE_END = 1L << 16;
    private static final long MEM32_SPACE_END = 1L << 32;

    private BarPlacement() {
    }

    public static boolean isPlaced(BarKind kind, long address, long size) {
        if (address == 0) {
            return false;
        }
        long last = address + size - 1;
        return switch (kind) {
            case IO -> last < IO_SPACE_END;
            case MEM32 -> last < MEM32_SPACE_END - 1;
            // Unsigned: an aligned 64-bit BAR cannot wrap, but the top byte is the sizing pattern.
            case MEM64 -> Long.compareUnsigned(last, address) > 0 && last != -1L;
        };
    }
}
