package dev.passthru.host;

import dev.passthru.InputError;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The BARs and expansion ROM a host function implements: what the config engine needs to answer
 * sizing probes and to tell where the guest put each one.
 *
 * @param bars       implemented BARs in index order
 * @param romSize    expansion ROM bytes, 0 when there is none
 * @param romAddress where the host put the ROM; 0 when not known or unassigned
 */
public record BarLayout(List<HostBar> bars, long romSize, long romAddress) {

    public static final BarLayout NONE = new BarLayout(List.of(), 0);

    /** A layout whose ROM address is not known (or does not matter). */
    public BarLayout(List<HostBar> bars, long romSize) {
        this(bars, romSize, 0);
    }

    /** Smallest memory BAR, as the spec allows (16 bytes), and I/O BAR (4 bytes). */
    static final long MIN_MEMORY_SIZE = 16;
    static final long MIN_IO_SIZE = 4;
    /** I/O space on x86 is 64 KiB. */
    static final long MAX_IO_SIZE = 1L << 16;
    /** A 32-bit BAR decodes at most 2 GiB (bit 31 is the largest address bit it can size). */
    static final long MAX_MEM32_SIZE = 1L << 31;
    /** A 64-bit BAR decodes at most 2^63 bytes. */
    static final long MAX_MEM64_SIZE = 1L << 62;
    static final long MIN_ROM_SIZE = 2048;
    static final long MAX_ROM_SIZE = 1L << 31;

    /**
     * Checks the layout as the PCI spec constrains it; a bad one is an {@link InputError} naming
     * the BAR and what is wrong with it.
     */
    public BarLayout {
        List<HostBar> sorted = new ArrayList<>(bars);
        sorted.sort(Comparator.comparingInt(HostBar::index));
        boolean[] taken = new boolean[6];
        for (HostBar bar : sorted) {
            check(bar, taken);
        }
        if (romSize != 0) {
            checkSize("expansion ROM", romSize, MIN_ROM_SIZE, MAX_ROM_SIZE);
        }
        bars = Collections.unmodifiableList(sorted);
    }

    private static void check(HostBar bar, boolean[] taken) {
        String name = "BAR " + bar.index();
        int last = bar.index() + bar.kind().slots() - 1;
        if (bar.index() < 0 || last > 5) {
            throw new InputError(name + ": a " + bar.describe() + " BAR cannot start at index "
                    + bar.index() + " (indices 0-5, a 64-bit BAR takes two)");
        }
        for (int i = bar.index(); i <= last; i++) {
            if (taken[i]) {
                throw new InputError(name + ": register " + i + " is already taken by another BAR");
            }
            taken[i] = true;
        }
        if (bar.kind() == BarKind.IO && bar.prefetchable()) {
            throw new InputError(name + ": an I/O BAR cannot be prefetchable");
        }
        switch (bar.kind()) {
            case IO -> checkSize(name, bar.size(), MIN_IO_SIZE, MAX_IO_SIZE);
            case MEM32 -> checkSize(name, bar.size(), MIN_MEMORY_SIZE, MAX_MEM32_SIZE);
            case MEM64 -> checkSize(name, bar.size(), MIN_MEMORY_SIZE, MAX_MEM64_SIZE);
        }
    }

    private static void checkSize(String name, long size, long min, long max) {
        if (size < min || size > max || Long.bitCount(size) != 1) {
            throw new InputError(String.format("%s: size %s is not a power of two from %s to %s",
                    name, Sizes.format(size), Sizes.format(min), Sizes.format(max)));
        }
    }

    /** The BAR that starts at register {@code index}, if any. */
    public Optional<HostBar> bar(int index) {
        for (HostBar bar : bars) {
            if (bar.index() == index) {
                return Optional.of(bar);
            }
        }
        return Optional.empty();
    }

    public boolean hasRom() {
        return romSize != 0;
    }
}
