package dev.passthru.vm;

import dev.passthru.hypervisor.RamRange;

import java.util.List;

/**
 * Where a guest's RAM lies, as Xen's hvmloader and QEMU lay it out for a PC: up to 3 GiB from
 * 0, the rest from 4 GiB, leaving 3-4 GiB as the hole for 32-bit BARs.
 */
public final class GuestRam {

    /** RAM below 4 GiB ends here at most. */
    public static final long LOW_END = 0xc000_0000L;
    public static final long HIGH_START = 1L << 32;

    private GuestRam() {
    }

    public static List<RamRange> ranges(long bytes) {
        if (bytes <= LOW_END) {
            return List.of(new RamRange(0, bytes));
        }
        return List.of(new RamRange(0, LOW_END), new RamRange(HIGH_START, bytes - LOW_END));
    }

    /** Where RAM above 4 GiB ends: 4 GiB when there is none. */
    public static long highEnd(long bytes) {
        return bytes <= LOW_END ? HIGH_START : HIGH_START + bytes - LOW_END;
    }
}
