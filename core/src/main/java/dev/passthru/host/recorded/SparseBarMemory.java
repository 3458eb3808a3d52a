package dev.passthru.host.recorded;

import dev.passthru.host.BarLayout;
import dev.passthru.host.BarMemory;
import dev.passthru.host.HostBar;
import dev.passthru.log.RateLimitedLog;

import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.Map;

/**
 * Memory behind a recorded function's BARs (and ROM, as index 6): reads and writes like device
 * memory, zeros until written. Pages are made on first write, so a 128 GiB BAR costs only what
 * is written, up to a limit that keeps a guest from filling the host's memory through it;
 * past the limit writes to new pages are dropped and logged.
 */
public final class SparseBarMemory implements BarMemory {

    public static final int ROM_INDEX = BarMemory.ROM;
    static final int PAGE = 4096;
    /** 64 MiB of written pages per function. */
    static final int MAX_PAGES = 16384;

    private static final RateLimitedLog LOG = RateLimitedLog.of(SparseBarMemory.class.getName());

    private final long[] sizes = new long[ROM_INDEX + 1];
    private final Map<Long, byte[]> pages = new HashMap<>();

    public SparseBarMemory(BarLayout layout) {
        for (HostBar bar : layout.bars()) {
            sizes[bar.index()] = bar.size();
        }
        sizes[ROM_INDEX] = layout.romSize();
    }

    @Override
    public synchronized long read(int bar, long offset, int width) {
        if (!inside(bar, offset, width)) {
            return width == 8 ? -1L : (1L << (8 * width)) - 1;
        }
        long value = 0;
        for (int i = 0; i < width; i++) {
            byte[] page = pages.get(key(bar, offset + i));
            long b = page == null ? 0 : page[(int) ((offset + i) % PAGE)] & 0xff;
            value |= b << (8 * i);
        }
        return value;
    }

    @Override
    public synchronized void write(int bar, long offset, int width, long value) {
        if (!inside(bar, offset, width)) {
            return;
        }
        for (int i = 0; i < width; i++) {
            long key = key(bar, offset + i);
            byte[] page = pages.get(key);
            if (page == null) {
                if (pages.size() == MAX_PAGES) {
                    LOG.log(Level.WARNING, "BAR %d write at 0x%x dropped: %d pages of recorded BAR memory in use",
                            bar, offset, MAX_PAGES);
                    return;
                }
                page = new byte[PAGE];
                pages.put(key, page);
            }
            page[(int) ((offset + i) % PAGE)] = (byte) (value >>> (8 * i));
        }
    }

    private boolean inside(int bar, long offset, int width) {
        return bar >= 0 && bar <= ROM_INDEX && (width == 1 || width == 2 || width == 4 || width == 8)
                && offset >= 0 && offset <= sizes[bar] - width;
    }

    /** Page numbers of BARs up to 2^62 bytes fit 50 bits; the BAR index goes above them. */
    private static long key(int bar, long offset) {
        return (long) bar << 56 | offset / PAGE;
    }
}
