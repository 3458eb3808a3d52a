package dev.passthru.host.sysfs;

import dev.passthru.host.BarKind;
import dev.passthru.host.BarLayout;
import dev.passthru.host.BarMemory;
import dev.passthru.host.HostBar;
import dev.passthru.log.RateLimitedLog;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * The BARs of a live sysfs function, for the accesses the device model traps and forwards:
 * memory BARs through a shared mapping of {@code resourceN} (made on first use; a BAR smaller
 * than a page sits at its machine address's offset in the page the kernel maps), I/O BARs
 * through reads and writes of {@code resourceN} (the kernel does the port access, 1, 2 or 4
 * bytes), and the expansion ROM from a copy read once through the {@code rom} file, which the
 * kernel enables only for that read (a ROM the kernel will not read, for want of a valid image,
 * reads all-ones). Only naturally aligned accesses are made: Xen drops
 * aligned stores to the pages it keeps read-only for dom0 (those of the MSI-X table and PBA)
 * but faults an unaligned one. What cannot be done reads all-ones and is logged, rate-limited.
 */
final class SysfsBarMemory implements BarMemory {

    private static final RateLimitedLog LOG = RateLimitedLog.of(SysfsBarMemory.class.getName());
    private static final long PAGE = 4096;

    private final String dir;
    private final HostBar[] bars = new HostBar[BarMemory.ROM];
    private final MemorySegment[] mapped = new MemorySegment[BarMemory.ROM];
    private final FileChannel[] ports = new FileChannel[BarMemory.ROM];
    private final ByteBuffer port = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    private final boolean hasRom;
    /** The ROM image, once {@link #copyRom} has read it. */
    private byte @Nullable [] rom;

    SysfsBarMemory(String dir, BarLayout layout) {
        this.dir = dir;
        for (HostBar bar : layout.bars()) {
            bars[bar.index()] = bar;
        }
        this.hasRom = layout.romSize() > 0;
    }

    /** Reads the ROM image now (once), if the function has a ROM. */
    @Override
    public synchronized boolean copyRom() {
        if (hasRom && rom == null) {
            rom = readRom(Path.of(dir, "rom"));
        }
        return hasRom;
    }

    @Override
    public synchronized long read(int bar, long offset, int width) {
        long none = width == 8 ? -1L : (1L << (8 * width)) - 1;
        if (bar == BarMemory.ROM) {
            return romRead(offset, width, none);
        }
        HostBar host = fitting(bar, offset, width);
        if (host == null) {
            return none;
        }
        if (host.kind() == BarKind.IO) {
            return portAccess(host, offset, width, 0, false) & none;
        }
        MemorySegment memory = memory(host);
        if (memory == null) {
            return none;
        }
        long at = inPage(host) + offset;
        return switch (width) {
            case 1 -> memory.get(JAVA_BYTE, at) & 0xffL;
            case 2 -> memory.get(JAVA_SHORT_UNALIGNED, at) & 0xffffL;
            case 4 -> memory.get(JAVA_INT_UNALIGNED, at) & 0xffff_ffffL;
            default -> memory.get(JAVA_LONG_UNALIGNED, at);
        };
    }

    @Override
    public synchronized void write(int bar, long offset, int width, long value) {
        HostBar host = fitting(bar, offset, width);
        if (host == null) {
            return;
        }
        if (host.kind() == BarKind.IO) {
            portAccess(host, offset, width, value, true);
            return;
        }
        MemorySegment memory = memory(host);
        if (memory == null) {
            return;
        }
        long at = inPage(host) + offset;
        switch (width) {
            case 1 -> memory.set(JAVA_BYTE, at, (byte) value);
            case 2 -> memory.set(JAVA_SHORT_UNALIGNED, at, (short) value);
            case 4 -> memory.set(JAVA_INT_UNALIGNED, at, (int) value);
            default -> memory.set(JAVA_LONG_UNALIGNED, at, value);
        }
    }

    /** The BAR the access falls in, or null (logged) when it is outside the BAR or not aligned. */
    private @Nullable HostBar fitting(int bar, long offset, int width) {
        HostBar host = bar >= 0 && bar < bars.length ? bars[bar] : null;
        if (host == null || offset < 0 || offset + width > host.size() || offset % width != 0
                || (width > 4 && host.kind() == BarKind.IO)) {
            LOG.log(Level.WARNING, "%s: access of %d bytes at 0x%x of BAR %s not made (outside the BAR or not aligned)",
                    dir, width, offset, host == null ? "?" : Integer.toString(host.index()));
            return null;
        }
        return host;
    }

    private long romRead(long offset, int width, long none) {
        if (rom == null || offset < 0 || offset + width > rom.length) {
            return none;
        }
        long value = 0;
        for (int i = 0; i < width; i++) {
            value |= (rom[(int) offset + i] & 0xffL) << (8 * i);
        }
        return value;
    }

    private static long inPage(HostBar bar) {
        return bar.size() < PAGE ? bar.address() & (PAGE - 1) : 0;
    }

    /** The BAR's mapping, made on first use, or null (logged) when it cannot be made. */
    private @Nullable MemorySegment memory(HostBar bar) {
        if (mapped[bar.index()] == null) {
            Path file = Path.of(dir, "resource" + bar.index());
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                // A BAR under a page: the kernel maps the whole page it sits in.
                mapped[bar.index()] = channel.map(FileChannel.MapMode.READ_WRITE, 0, bar.size(), Arena.ofAuto())
                        .reinterpret(Math.max(bar.size(), PAGE));
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "%s: cannot map BAR %d (%s); its trapped accesses read all-ones", file,
                        bar.index(), e.toString());
                return null;
            }
        }
        return mapped[bar.index()];
    }

    private long portAccess(HostBar bar, long offset, int width, long value, boolean write) {
        try {
            if (ports[bar.index()] == null) {
                ports[bar.index()] = FileChannel.open(Path.of(dir, "resource" + bar.index()), StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
            }
            port.clear();
            port.putInt(0, write ? (int) value : 0);
            port.limit(width);
            if (write) {
                ports[bar.index()].write(port, offset);
                return 0;
            }
            ports[bar.index()].read(port, offset);
            return port.limit(4).getInt(0);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "%s/resource%d: port %s of %d bytes at 0x%x failed (%s)", dir, bar.index(),
                    write ? "write" : "read", width, offset, e.toString());
            return -1L;
        }
    }

    /**
     * The ROM image as the kernel reads it: "1" written to {@code rom} enables the read (the
     * kernel turns the ROM decoder on only while it copies), "0" ends it. Empty when the kernel
     * gives nothing (no valid image signature) or the file cannot be used.
     */
    private static byte[] readRom(Path file) {
        try {
            Files.writeString(file, "1");
            try {
                return Files.readAllBytes(file);
            } finally {
                Files.writeString(file, "0");
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "%s: cannot read the expansion ROM (%s); the guest reads all-ones there", file, e.toString());
            return new byte[0];
        }
    }
}
