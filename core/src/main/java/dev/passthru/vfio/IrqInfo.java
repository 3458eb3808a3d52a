package dev.passthru.vfio;

/**
 * struct vfio_irq_info, for VFIO_DEVICE_GET_IRQ_INFO: the caller sets index, the kernel fills
 * in flags and count.
 * <pre>
 *   0        4        8        12       16
 *   | argsz  | flags  | index  | count  |
 * </pre>
 */
final class IrqInfo extends VfioStruct {

    static final int INDEX_OFFSET = 8;
    static final int COUNT_OFFSET = 12;
    static final int SIZE = 16;

    IrqInfo(int index) {
        super(SIZE);
        putInt(INDEX_OFFSET, index);
    }

    int count() {
        return getInt(COUNT_OFFSET);
    }
}
