package dev.passthru.host;

/**
 * A BAR (or, as index {@link #ROM}, the expansion ROM) that a source knows of, since its
 * register holds an address, without knowing its size: an lspci dump without {@code -v} lines
 * cannot say. Such a function can be listed and shown, not assigned.
 */
public record UnsizedBar(int index, BarKind kind, boolean prefetchable, long address) {

    /** The index that stands for the expansion ROM. */
    public static final int ROM = 6;

    /** What is missing and the option that gives it. */
    public String problem() {
        return index == ROM
                ? String.format("expansion ROM (at 0x%x) has no known size; give it with --rom SIZE (--rom 0 leaves it out)",
                        address)
                : String.format("BAR %d (%s at 0x%x) has no known size; give it with --bar %d=SIZE",
                        index, HostBar.describe(kind, prefetchable), address, index);
    }
}
