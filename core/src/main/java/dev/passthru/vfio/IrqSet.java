package dev.passthru.vfio;

/**
 * struct vfio_irq_set, for VFIO_DEVICE_SET_IRQS: vectors start..start+count of interrupt index,
 * with what to do (flags: DATA_* | ACTION_*) and, for DATA_EVENTFD, one eventfd per vector.
 * <pre>
 *   0        4        8        12       16       20
 *   | argsz  | flags  | index  | start  | count  | data: int32 eventfd[count] ...
 * </pre>
 * The kernel only reads it, so one made once may be handed to the ioctl again and again.
 */
final class IrqSet extends VfioStruct {

    static final int INDEX_OFFSET = 8;
    static final int START_OFFSET = 12;
    static final int COUNT_OFFSET = 16;
    static final int DATA_OFFSET = 20;

    private IrqSet(int flags, int index, int count, int dataBytes) {
        super(DATA_OFFSET + dataBytes);
        putInt(FLAGS_OFFSET, flags);
        putInt(INDEX_OFFSET, index);
        putInt(START_OFFSET, 0);
        putInt(COUNT_OFFSET, count);
    }

    /** Vectors 0.. of {@code index} signal these eventfds. */
    static IrqSet trigger(int index, int... eventfds) {
        IrqSet set = new IrqSet(Vfio.IRQ_SET_DATA_EVENTFD | Vfio.IRQ_SET_ACTION_TRIGGER, index, eventfds.length,
                4 * eventfds.length);
        for (int i = 0; i < eventfds.length; i++) {
            set.putInt(DATA_OFFSET + 4 * i, eventfds[i]);
        }
        return set;
    }

    /**
     * Vectors {@code start..start+count} of {@code index} with these flags, and an eventfd for
     * each where the data is eventfds (-1: that vector's signal taken away).
     */
    static IrqSet of(int flags, int index, int start, int count, int[] eventfds) {
        IrqSet set = new IrqSet(flags, index, count, 4 * eventfds.length);
        set.putInt(START_OFFSET, start);
        for (int i = 0; i < eventfds.length; i++) {
            set.putInt(DATA_OFFSET + 4 * i, eventfds[i]);
        }
        return set;
    }

    /** Every vector of {@code index} off (count 0 with DATA_NONE and ACTION_TRIGGER). */
    static IrqSet off(int index) {
        return new IrqSet(Vfio.IRQ_SET_DATA_NONE | Vfio.IRQ_SET_ACTION_TRIGGER, index, 0, 0);
    }

    /** Vector 0 of {@code index} unmasked (INTx, which VFIO masks as it delivers it). */
    static IrqSet unmask(int index) {
        return new IrqSet(Vfio.IRQ_SET_DATA_NONE | Vfio.IRQ_SET_ACTION_UNMASK, index, 1, 0);
    }
}
