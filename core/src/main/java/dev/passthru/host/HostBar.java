package dev.passthru.host;

/**
 * One implemented base address register of a host function.
 *
 * @param index        0-5; a 64-bit BAR also takes index + 1
 * @param kind         I/O, 32-bit or 64-bit memory
 * @param prefetchable memory BARs only
 * @param size         bytes the BAR decodes, a power of two
 * @param address      where the host put it (machine address); 0 when not known or unassigned
 */
public record HostBar(int index, BarKind kind, boolean prefetchable, long size, long address) {

    /** A BAR whose host address is not known (or does not matter). */
    public HostBar(int index, BarKind kind, boolean prefetchable, long size) {
        this(index, kind, prefetchable, size, 0);
    }

    /** The register's read-only low bits: space, memory type and prefetchable. */
    public int typeBits() {
        return switch (kind) {
            case IO -> 0x1;
            case MEM32 -> prefetchable ? 0x8 : 0x0;
            case MEM64 -> prefetchable ? 0xc : 0x4;
        };
    }

    /** "64-bit prefetchable memory", "I/O ports": for messages and listings. */
    public String describe() {
        return describe(kind, prefetchable);
    }

    public static String describe(BarKind kind, boolean prefetchable) {
        return kind.isMemory() && prefetchable
                ? kind.description().replace(" memory", " prefetchable memory")
                : kind.description();
    }
}
