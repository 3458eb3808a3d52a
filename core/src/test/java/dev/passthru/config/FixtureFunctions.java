package dev.passthru.config;

import dev.passthru.Fixtures;
import dev.passthru.dump.DumpBars;
import dev.passthru.dump.DumpedFunction;
import dev.passthru.dump.LspciDumpReader;
import dev.passthru.host.BarKind;
import dev.passthru.host.BarLayout;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every function of every dump in shared/fixtures, with a BAR layout. Where a dump has no sizes,
 * the test gives each BAR the size its address's alignment allows (an upper bound of the real
 * size, as the fixtures' README says of the H100), within sane limits.
 */
final class FixtureFunctions {

    record Entry(Path file, DumpedFunction function, BarLayout bars) {
        @Override
        public String toString() {
            return file.getFileName() + " " + function.address().shortForm();
        }
    }

    private static List<Entry> all;

    private FixtureFunctions() {
    }

    static synchronized List<Entry> all() {
        if (all == null) {
            List<Entry> entries = new ArrayList<>();
            for (Path file : Fixtures.dumpFiles()) {
                for (DumpedFunction f : LspciDumpReader.read(file)) {
                    entries.add(new Entry(file, f, layout(f)));
                }
            }
            all = List.copyOf(entries);
        }
        return all;
    }

    static BarLayout layout(DumpedFunction f) {
        Map<Integer, Long> sizes = new HashMap<>();
        for (DumpBars.BarRegister register : DumpBars.registers(f)) {
            long address = register.address();
            if (!f.barSizes().containsKey(register.index()) && address != 0) {
                long align = address & -address;
                sizes.put(register.index(), register.kind() == BarKind.IO ? clamp(align, 4, 256)
                        : clamp(align, 16, register.kind() == BarKind.MEM64 ? 1L << 40 : 1L << 30));
            }
        }
        long rom = DumpBars.romAddress(f);
        Long romSize = f.romSize() != 0 || rom == 0 || DumpBars.barCount(f) == 0 ? null : clamp(rom & -rom, 2048, 16L << 20);
        return DumpBars.layout(f, sizes, romSize);
    }

    private static long clamp(long value, long min, long max) {
        return Math.max(min, Math.min(max, value));
    }
}
