package dev.passthru.host.sysfs;

import dev.passthru.host.HostConfig;
import dev.passthru.log.RateLimitedLog;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * A function's config space through its sysfs {@code config} file. Reads need no privilege for
 * the first 64 bytes (the kernel gives the rest to root only); writes reach the file only when
 * they were enabled, and then only as root: by default they are dropped and logged, so that
 * nothing on the machine is changed by accident.
 */
public final class SysfsHostConfig implements HostConfig {

    private static final RateLimitedLog LOG = RateLimitedLog.of(SysfsHostConfig.class.getName());

    private final Path file;
    private final int size;
    private final boolean writesEnabled;
    private final ByteBuffer buffer = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    /** Opened on first use: read-only, or read-write once {@link #channelWritable}. */
    private @Nullable FileChannel channel;
    private boolean channelWritable;
    private int readable = -1;

    public SysfsHostConfig(Path file, int size, boolean writesEnabled) {
        this.file = file;
        this.size = size;
        this.writesEnabled = writesEnabled;
    }

    @Override
    public int size() {
        return size;
    }

    /** How many bytes the kernel lets this process read: all of them as root, 64 otherwise. */
    @Override
    public int readable() {
        if (readable < 0) {
            readable = snapshotRead(size).length;
        }
        return readable;
    }

    @Override
    public int read(int offset, int width) {
        if (offset < 0 || offset > size - width) {
            return width == 4 ? -1 : (1 << (8 * width)) - 1;
        }
        try {
            buffer.clear().limit(width);
            int got = channel().read(buffer, offset);
            if (got != width) {
                return width == 4 ? -1 : (1 << (8 * width)) - 1;
            }
            return switch (width) {
                case 1 -> buffer.get(0) & 0xff;
                case 2 -> buffer.getShort(0) & 0xffff;
                default -> buffer.getInt(0);
            };
        } catch (IOException e) {
            LOG.log(Level.WARNING, "%s: read of %d bytes at 0x%x failed (%s); answered all-ones", file, width, offset, e);
            return width == 4 ? -1 : (1 << (8 * width)) - 1;
        }
    }

    @Override
    public void write(int offset, int width, int value) {
        if (!writesEnabled) {
            LOG.log(Level.INFO, "%s: config write of %d bytes at 0x%x dropped (writes to sysfs are not enabled)",
                    file, width, offset);
            return;
        }
        if (offset < 0 || offset > size - width) {
            LOG.log(Level.INFO, "%s: config write of %d bytes at 0x%x dropped (past its %d bytes)", file, width, offset, size);
            return;
        }
        try {
            buffer.clear().limit(width);
            switch (width) {
                case 1 -> buffer.put(0, (byte) value);
                case 2 -> buffer.putShort(0, (short) value);
                default -> buffer.putInt(0, value);
            }
            writable().write(buffer, offset);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "%s: write of %d bytes at 0x%x failed (%s); dropped", file, width, offset, e);
        }
    }

    /** Through the kernel's sysfs reset of the function, when writes were enabled and it has one. */
    @Override
    public Optional<String> resetFunction() {
        if (!writesEnabled) {
            return Optional.empty();
        }
        Path dir = Objects.requireNonNull(file.getParent(), "a config file lies in its function's folder");
        if (SysfsReset.unresettable(dir).isPresent()) {
            return Optional.empty();
        }
        try {
            return Optional.of(SysfsReset.reset(dir));
        } catch (IOException e) {
            LOG.log(Level.WARNING, "%s: reset failed (%s)", dir, e.getMessage());
            return Optional.empty();
        }
    }

    /** One read of the first {@code length} bytes, all-ones past what the kernel gives. */
    @Override
    public byte[] snapshot(int length) {
        byte[] got = snapshotRead(Math.min(length, size));
        if (got.length == Math.min(length, size)) {
            return got;
        }
        byte[] out = new byte[Math.min(length, size)];
        Arrays.fill(out, (byte) 0xff);
        System.arraycopy(got, 0, out, 0, got.length);
        return out;
    }

    private byte[] snapshotRead(int length) {
        ByteBuffer bytes = ByteBuffer.allocate(length);
        try (FileChannel once = FileChannel.open(file, StandardOpenOption.READ)) {
            while (bytes.hasRemaining() && once.read(bytes, bytes.position()) > 0) {
                // the kernel may return fewer bytes a call
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "%s: cannot read (%s)", file, e);
        }
        return Arrays.copyOf(bytes.array(), bytes.position());
    }

    private FileChannel channel() throws IOException {
        FileChannel open = channel;
        if (open == null) {
            open = FileChannel.open(file, StandardOpenOption.READ);
            channel = open;
        }
        return open;
    }

    /** Reopens the file for writing once, on the first write, and keeps it for later reads too. */
    private FileChannel writable() throws IOException {
        FileChannel open = channel;
        if (open == null || !channelWritable) {
            if (open != null) {
                open.close();
            }
            open = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            channel = open;
            channelWritable = true;
        }
        return open;
    }

    @Override
    public String toString() {
        return file.toString();
    }
}
