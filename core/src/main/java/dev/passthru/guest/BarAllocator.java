package dev.passthru.guest;

import dev.passthru.bus.SizedBar;
import dev.passthru.host.BarKind;

/**
 * Hands out guest addresses the way PC firmware does: each BAR naturally aligned (to its
 * size), 32-bit memory BARs and ROMs in the PCI hole below 4 GiB, 64-bit prefetchable BARs in
 * a window above RAM, I/O BARs in 0xc000-0xffff. Given largest first, naturally aligned BARs
 * pack without gaps. Later calls (hot-plugged functions) take what follows.
 */
final class BarAllocator {

    /** Where the PCI hole ends: the IOAPIC, HPET and firmware live above. */
    static final long HOLE_END = 0xfec0_0000L;
    static final long HOLE_START = 0xc000_0000L;
    private static final long IO_START = 0xc000;
    private static final long IO_END = 0x1_0000;
    /** 64 TiB: within every x86-64 guest's physical address width. */
    private static final long HIGH_END = 1L << 46;

    private long hole = HOLE_START;
    private long high;
    private long io = IO_START;

    /** @param highRamEnd where RAM above 4 GiB ends (4 GiB when there is none) */
    BarAllocator(long highRamEnd) {
        this.high = Math.max(highRamEnd, 1L << 32);
    }

    /** A guest address for the BAR, or 0 when its window is full. */
    long allocate(SizedBar bar) {
        if (bar.kind() == BarKind.IO) {
            long at = take(io, bar.size(), IO_END);
            if (at != 0) {
                io = at + bar.size();
            }
            return at;
        }
        if (bar.kind() == BarKind.MEM64 && bar.prefetchable()) {
            return takeHigh(bar.size());
        }
        long at = take(hole, bar.size(), HOLE_END);
        if (at != 0) {
            hole = at + bar.size();
            return at;
        }
        return bar.kind() == BarKind.MEM64 ? takeHigh(bar.size()) : 0;
    }

    private long takeHigh(long size) {
        long at = take(high, size, HIGH_END);
        if (at != 0) {
            high = at + size;
        }
        return at;
    }

    private static long take(long from, long size, long end) {
        long at = (from + size - 1) & -size;
        return at + size <= end && at >= from ? at : 0;
    }
}
