package dev.passthru.vm;

import org.jspecify.annotations.Nullable;
import dev.passthru.host.BarKind;
import dev.passthru.host.HostBar;
import dev.passthru.host.HostFunction;

import java.util.ArrayList;
import java.util.List;

/** Whether a function's machine BARs and ROM overlap those of others: they cannot share a machine then. */
final class MachineRanges {

    private MachineRanges() {
    }

    /** The first overlap of {@code f} with one of {@code others}, in words, or null. */
    static @Nullable String clash(HostFunction f, List<HostFunction> others) {
        for (HostFunction other : others) {
            for (Range mine : ranges(f)) {
                for (Range theirs : ranges(other)) {
                    if (mine.io == theirs.io && mine.start < theirs.end() && theirs.start < mine.end()) {
                        return String.format("its %s at 0x%x overlaps %s of %s", mine.name, mine.start, theirs.name,
                                other.address());
                    }
                }
            }
        }
        return null;
    }

    private record Range(String name, boolean io, long start, long size) {
        long end() {
            return start + size;
        }
    }

    private static List<Range> ranges(HostFunction f) {
        List<Range> ranges = new ArrayList<>();
        for (HostBar bar : f.bars().bars()) {
            if (bar.address() != 0) {
                ranges.add(new Range("BAR " + bar.index(), bar.kind() == BarKind.IO, bar.address(), bar.size()));
            }
        }
        if (f.bars().hasRom() && f.bars().romAddress() != 0) {
            ranges.add(new Range("ROM", false, f.bars().romAddress(), f.bars().romSize()));
        }
        return ranges;
    }
}
