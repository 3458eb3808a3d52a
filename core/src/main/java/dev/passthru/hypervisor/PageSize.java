package dev.passthru.hypervisor;

/** The page sizes a second-stage (p2m, EPT, stage-2) mapping can use on x86-64. */
public enum PageSize {
    SIZE_4K(12, "4K"),
    SIZE_2M(21, "2M"),
    SIZE_1G(30, "1G");

    /** Frame numbers count 4 KiB frames whatever the page size, as Xen's gfn and mfn do. */
    public static final int FRAME_SHIFT = 12;

    private final int shift;
    private final String label;

    PageSize(int shift, String label) {
        this.shift = shift;
        this.label = label;
    }

    public long bytes() {
        return 1L << shift;
    }

    /** 4 KiB frames in one page. */
    public long frames() {
        return 1L << (shift - FRAME_SHIFT);
    }

    public boolean aligned(long address) {
        return (address & (bytes() - 1)) == 0;
    }

    @Override
    public String toString() {
        return label;
    }
}
