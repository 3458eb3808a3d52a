package dev.passthru.host;

import org.jspecify.annotations.Nullable;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Config space held in memory: a recorded function, or a test's stand-in. Plain memory stores
 * writes as written, so that a test sees exactly what reached the host; a recording built with
 * masks behaves like hardware: only writable bits take a write, write-1-to-clear bits clear.
 */
public final class MemoryHostConfig implements HostConfig {

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /** Three spare bytes so that a 4-byte read at any offset stays inside the array. */
    private final byte[] bytes;
    private final int size;
    private final int readable;
    private final byte @Nullable [] writable;
    private final byte @Nullable [] writeOneToClear;

    private MemoryHostConfig(byte[] content, byte @Nullable [] writable, byte @Nullable [] writeOneToClear) {
        if (content.length > 4096) {
            throw new IllegalArgumentException("config space of " + content.length + " bytes, at most 4096");
        }
        this.size = content.length > 256 ? 4096 : 256;
        this.readable = content.length;
        this.bytes = new byte[size + 3];
        Arrays.fill(bytes, (byte) 0xff);
        System.arraycopy(content, 0, bytes, 0, readable);
        this.writable = writable;
        this.writeOneToClear = writeOneToClear;
    }

    /**
     * Plain memory holding {@code content}: 256 or 4096 bytes, or fewer for a partial recording,
     * in which case the function has 256 bytes (4096 when more than 256 are given) and the rest
     * reads all-ones.
     */
    public static MemoryHostConfig of(byte[] content) {
        return new MemoryHostConfig(content, null, null);
    }

    /**
     * A recording that behaves like hardware: per byte, the bits a write may change and the bits
     * a 1 written clears; every other bit keeps its value.
     */
    public static MemoryHostConfig withMasks(byte[] content, byte[] writable, byte[] writeOneToClear) {
        return new MemoryHostConfig(content, writable.clone(), writeOneToClear.clone());
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int readable() {
        return readable;
    }

    @Override
    public int read(int offset, int width) {
        if (offset < 0 || offset > size - width) {
            return width == 4 ? -1 : (1 << (width * 8)) - 1;
        }
        int value = (int) INT.get(bytes, offset);
        return width == 4 ? value : value & ((1 << (width * 8)) - 1);
    }

    @Override
    public void write(int offset, int width, int value) {
        if (offset < 0 || offset > size - width) {
            return;
        }
        for (int i = 0; i < width; i++) {
            int at = offset + i;
            int data = (value >>> (8 * i)) & 0xff;
            if (writable == null || writeOneToClear == null) {
                bytes[at] = (byte) data;
            } else if (at < writable.length) {
                int keep = bytes[at] & ~writable[at];
                bytes[at] = (byte) (((data & writable[at]) | keep) & ~(data & writeOneToClear[at]));
            }
        }
    }

    /** A copy of the current bytes, {@link #size()} long. */
    public byte[] snapshot() {
        return Arrays.copyOf(bytes, size);
    }
}
