package dev.passthru.host;

/**
 * What a host function's BARs hold, as the device model reaches it: a recording's memory, or
 * nothing at all where touching the real device was not asked for. Offsets are from the BAR's
 * start; widths are 1, 2, 4 or 8. Neither method throws: guest accesses end here.
 */
public interface BarMemory {

    /** The index that stands for the expansion ROM, after BARs 0-5. */
    int ROM = 6;

    /** Reads nothing and writes nowhere: all-ones back, as a master abort answers. */
    BarMemory NONE = new BarMemory() {
        @Override
        public long read(int bar, long offset, int width) {
            return width == 8 ? -1L : (1L << (8 * width)) - 1;
        }

        @Override
        public void write(int bar, long offset, int width, long value) {
        }
    };

    long read(int bar, long offset, int width);

    /**
     * Copies the expansion ROM's image now, where the source can, and answers reads of
     * {@link #ROM} from the copy from then on, so that the ROM need not be mapped into a guest
     * (nor its decoder turned on while the device works); whether it did. Most sources cannot.
     */
    default boolean copyRom() {
        return false;
    }

    void write(int bar, long offset, int width, long value);
}
