package dev.passthru.vfio;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A VFIO struct (linux/vfio.h) as a flyweight over the bytes its ioctl takes, laid out as on
 * x86-64 (little-endian, natural alignment). Made once and handed to the ioctl as often as
 * needed; the kernel reads it and fills it in place. Every VFIO struct starts the same way,
 * argsz set to the struct's size when it is made:
 * <pre>
 *   0        4        8
 *   | argsz  | flags  | the struct's own fields ...
 * </pre>
 * Subclasses name the rest with {@code *_OFFSET} constants.
 */
class VfioStruct {

    static final int ARGSZ_OFFSET = 0;
    static final int FLAGS_OFFSET = 4;
    /** Reads and writes of little-endian ints and longs in a byte array, without a ByteBuffer. */
    static final VarHandle LE_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle LE_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final byte[] bytes;

    VfioStruct(int size) {
        bytes = new byte[size];
        putInt(ARGSZ_OFFSET, size);
    }

    /** The struct's bytes, for the ioctl. */
    final byte[] bytes() {
        return bytes;
    }

    final int flags() {
        return getInt(FLAGS_OFFSET);
    }

    final int getInt(int offset) {
        return (int) LE_INT.get(bytes, offset);
    }

    final long getLong(int offset) {
        return (long) LE_LONG.get(bytes, offset);
    }

    final void putInt(int offset, int value) {
        LE_INT.set(bytes, offset, value);
    }

    final void putLong(int offset, long value) {
        LE_LONG.set(bytes, offset, value);
    }

    /** The bare {@code int} some ioctls take by pointer (VFIO_GROUP_SET_CONTAINER's container fd). */
    static byte[] int32(int value) {
        byte[] bytes = new byte[4];
        LE_INT.set(bytes, 0, value);
        return bytes;
    }
}
