package dev.passthru.hypervisor;

/** Guest RAM: {@code size} bytes from guest physical address {@code start}. */
public record RamRange(long start, long size) {

    public long end() {
        return start + size;
    }

    public boolean overlaps(long from, long bytes) {
        return from < end() && start < from + bytes;
    }
}
