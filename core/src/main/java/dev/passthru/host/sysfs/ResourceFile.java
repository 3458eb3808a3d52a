package dev.passthru.host.sysfs;

import dev.passthru.InputError;
import dev.passthru.host.BarKind;
import dev.passthru.host.BarLayout;
import dev.passthru.host.HostBar;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.List;

/**
 * A function's sysfs {@code resource} file: one line per resource, {@code start end flags} as
 * three hex numbers; lines 0-5 are the BARs, line 6 the expansion ROM (the kernel's
 * PCI_ROM_RESOURCE), later lines bridge windows and SR-IOV BARs. Parsed by hand rather than
 * with a regular expression: a listing parses thousands of these in a process that lives for
 * a fraction of a second.
 */
final class ResourceFile {

    // include/linux/ioport.h
    static final long IORESOURCE_IO = 0x100;
    static final long IORESOURCE_MEM = 0x200;
    static final long IORESOURCE_PREFETCH = 0x2000;
    static final long IORESOURCE_MEM_64 = 0x100000;
    static final int ROM_LINE = 6;

    private ResourceFile() {
    }

    /**
     * Parses the file's text into a BAR layout with host addresses, for a header with
     * {@code barCount} BARs.
     *
     * @param where the file's path, for messages
     */
    static BarLayout parse(String text, int barCount, String where) {
        long[][] parsed = new long[ROM_LINE + 1][];
        int at = 0;
        for (int line = 0; line <= ROM_LINE; line++) {
            if (at >= text.length()) {
                throw new InputError(where + ": " + line + " lines, expected at least 7 (BARs 0-5 and the ROM)");
            }
            int end = text.indexOf('\n', at);
            if (end < 0) {
                end = text.length();
            }
            long[] values = triple(text, at, end);
            if (values == null) {
                throw new InputError(String.format("%s:%d: expected three hex numbers '0x... 0x... 0x...' "
                        + "(start, end, flags), found '%s'", where, line + 1, abbreviate(text.substring(at, end))));
            }
            parsed[line] = values;
            at = end + 1;
        }
        List<HostBar> bars = new ArrayList<>();
        for (int index = 0; index < barCount; index++) {
            long[] line = parsed[index];
            long flags = line[2];
            if (line[1] == 0 || (flags & (IORESOURCE_IO | IORESOURCE_MEM)) == 0) {
                continue;
            }
            BarKind kind = (flags & IORESOURCE_IO) != 0 ? BarKind.IO
                    : (flags & IORESOURCE_MEM_64) != 0 ? BarKind.MEM64 : BarKind.MEM32;
            bars.add(new HostBar(index, kind, kind.isMemory() && (flags & IORESOURCE_PREFETCH) != 0,
                    size(line, index + 1, where), line[0]));
            if (kind == BarKind.MEM64) {
                index++;
            }
        }
        long[] rom = parsed[ROM_LINE];
        long romSize = rom[1] == 0 ? 0 : size(rom, ROM_LINE + 1, where);
        try {
            return new BarLayout(bars, romSize, romSize == 0 ? 0 : rom[0]);
        } catch (InputError e) {
            throw new InputError(where + ": " + e.getMessage());
        }
    }

    /** {@code 0xSTART 0xEND 0xFLAGS} between {@code from} and {@code to}, or null. */
    private static long @Nullable [] triple(String text, int from, int to) {
        long[] values = new long[3];
        int at = from;
        for (int i = 0; i < 3; i++) {
            if (i > 0) {
                if (at >= to || text.charAt(at) != ' ') {
                    return null;
                }
                at++;
            }
            if (at + 2 > to || text.charAt(at) != '0' || text.charAt(at + 1) != 'x') {
                return null;
            }
            at += 2;
            int digits = 0;
            long value = 0;
            for (int d; at < to && (d = Character.digit(text.charAt(at), 16)) >= 0; at++, digits++) {
                value = value << 4 | d;
            }
            if (digits == 0 || digits > 16) {
                return null;
            }
            values[i] = value;
        }
        return at == to ? values : null;
    }

    private static long size(long[] line, int lineNumber, String where) {
        if (Long.compareUnsigned(line[1], line[0]) < 0) {
            throw new InputError(String.format("%s:%d: end 0x%x before start 0x%x", where, lineNumber, line[1], line[0]));
        }
        return line[1] - line[0] + 1;
    }

    private static String abbreviate(String line) {
        return line.length() > 60 ? line.substring(0, 60) + "..." : line;
    }
}
