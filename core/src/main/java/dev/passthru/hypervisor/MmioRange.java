package dev.passthru.hypervisor;

/**
 * Machine frames mapped at guest frames: {@code pages} pages of one size, contiguous on both
 * sides. Frame numbers count 4 KiB frames.
 */
public record MmioRange(long guestFrame, long machineFrame, long pages, PageSize pageSize) {

    public MmioRange {
        if (pages <= 0) {
            throw new IllegalArgumentException("a mapping holds at least one page");
        }
    }

    public long guestAddress() {
        return guestFrame << PageSize.FRAME_SHIFT;
    }

    public long machineAddress() {
        return machineFrame << PageSize.FRAME_SHIFT;
    }

    public long bytes() {
        return pages * pageSize.bytes();
    }

    public long frames() {
        return pages * pageSize.frames();
    }

    @Override
    public String toString() {
        return String.format("gfn 0x%x, mfn 0x%x, %d x %s", guestFrame, machineFrame, pages, pageSize);
    }
}
