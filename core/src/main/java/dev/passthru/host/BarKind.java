package dev.passthru.host;

/** What a base address register decodes. */
public enum BarKind {
    /** I/O ports (BAR bit 0 set). */
    IO("I/O ports"),
    /** Memory anywhere in the low 4 GiB: one register. */
    MEM32("32-bit memory"),
    /** Memory anywhere in 64-bit space: two registers, low half first. */
    MEM64("64-bit memory");

    private final String description;

    BarKind(String description) {
        this.description = description;
    }

    public boolean isMemory() {
        return this != IO;
    }

    /** Registers the BAR takes in the header. */
    public int slots() {
        return this == MEM64 ? 2 : 1;
    }

    public String description() {
        return description;
    }
}
