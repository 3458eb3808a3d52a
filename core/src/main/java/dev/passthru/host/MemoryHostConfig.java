package dev.passthru.host;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Config space held in memory: a recorded function, or a test's stand-in. Writes are stored as
 * written, like plain memory, so that a test sees exactly what the device model forwarded.
 */
public final class MemoryHostConfig implements HostConfig {

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /** Three spare bytes so that a 4-byte read at any offset stays inside the array. */
    private final byte[] bytes;
    private final int size;
    private final int readable;

    private MemoryHostConfig(byte[] content, int size) {
        this.size = size;
        this.readable = Math.min(content.length, size);
        this.bytes = new byte[size + 3];
        Arrays.fill(bytes, (byte) 0xff);
        System.arraycopy(content, 0, bytes, 0, readable);
    }

    /**
     * A function whose config space is {@code content}: 256 or 4096 bytes, or fewer for a partial
     * recording, in which case the function has 256 bytes (4096 when more than 256 are given) and
     * the rest reads all-ones.
     */
    public static MemoryHostConfig of(byte[] content) {
        int size = content.length > 256 ? 4096 : 256;
        if (content.length > 4096) {
            throw new IllegalArgumentException("config space of " + content.length + " bytes, at most 4096");
        }
        return new MemoryHostConfig(content, size);
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
        int value = (int) INT.get(bytes, offset);
        return width == 4 ? value : value & ((1 << (width * 8)) - 1);
    }

    @Override
    public void write(int offset, int width, int value) {
        for (int i = 0; i < width; i++) {
            bytes[offset + i] = (byte) (value >>> (8 * i));
        }
    }

    /** A copy of the current bytes, {@link #size()} long. */
    public byte[] snapshot() {
        return Arrays.copyOf(bytes, size);
    }
}
