package dev.passthru.qemu;

import dev.passthru.log.RateLimitedLog;
import dev.passthru.os.UnixSockets;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One function served to QEMU's {@code x-pci-proxy-dev} over a connected AF_UNIX stream socket,
 * in the wire format of QEMU 7.2's multi-process link (hw/remote/mpqemu-link.h): a 16-byte
 * header ({@code int32 cmd}, padding, {@code uint64 size}) and {@code size} bytes of data,
 * little-endian; file descriptors ride on the header as SCM_RIGHTS. Config and BAR accesses
 * and resets are answered with a RET carrying one {@code uint64}; guest memory (SYNC_SYSMEM)
 * and interrupt eventfds (SET_IRQFD) are accepted and their descriptors closed, as nothing
 * here does DMA or raises interrupts. A message with an unknown command or a size that does
 * not fit it ends the connection, logged with the reason; QEMU is never left waiting for a
 * reply to a message it sent whole.
 */
public final class ProxyConnection implements Runnable {

    static final int SYNC_SYSMEM = 0;
    static final int RET = 1;
    static final int PCI_CFGWRITE = 2;
    static final int PCI_CFGREAD = 3;
    static final int BAR_WRITE = 4;
    static final int BAR_READ = 5;
    static final int SET_IRQFD = 6;
    static final int DEVICE_RESET = 7;
    static final int HEADER = 16;
    static final int CONFIG_DATA = 12;
    static final int BAR_DATA = 24;
    /** Eight guest addresses, eight sizes, eight offsets. */
    static final int SYSMEM_DATA = 192;

    private static final RateLimitedLog LOG = RateLimitedLog.of(ProxyConnection.class.getName());

    private final UnixSockets sockets;
    private final int fd;
    private final ProxyTarget target;
    private final String name;
    private final byte[] header = new byte[HEADER];
    private final byte[] data = new byte[SYSMEM_DATA];
    private final byte[] reply = new byte[HEADER + 8];
    private final ByteBuffer head = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer out = ByteBuffer.wrap(reply).order(ByteOrder.LITTLE_ENDIAN);
    private volatile String endReason;
    private long messages;

    /** Serves {@code target} on {@code fd}, which the connection owns and closes when it ends. */
    public ProxyConnection(UnixSockets sockets, int fd, ProxyTarget target, String name) {
        this.sockets = sockets;
        this.fd = fd;
        this.target = target;
        this.name = name;
    }

    @Override
    public void run() {
        try {
            while (true) {
                if (!fill(header, HEADER)) {
                    end("QEMU closed the connection");
                    return;
                }
                int cmd = head.getInt(0);
                long size = head.getLong(8);
                String bad = check(cmd, size);
                if (bad != null) {
                    end(bad);
                    return;
                }
                if (size > 0 && !fill(data, (int) size)) {
                    end("QEMU closed the connection inside a message");
                    return;
                }
                messages++;
                answer(cmd);
            }
        } catch (UnixSockets.NativeException e) {
            end(e.getMessage());
        } finally {
            sockets.close(fd);
        }
    }

    /** Why the message cannot be taken, or null. */
    private static String check(int cmd, long size) {
        long expected = switch (cmd) {
            case SYNC_SYSMEM -> SYSMEM_DATA;
            case PCI_CFGWRITE, PCI_CFGREAD -> CONFIG_DATA;
            case BAR_WRITE, BAR_READ -> BAR_DATA;
            case SET_IRQFD, DEVICE_RESET -> 0;
            default -> -1;
        };
        if (expected < 0) {
            return "unknown command " + cmd;
        }
        return size == expected ? null : "command " + cmd + " with " + size + " bytes of data, expected " + expected;
    }

    private void answer(int cmd) {
        in.clear();
        switch (cmd) {
            case PCI_CFGREAD -> {
                int offset = in.getInt(0);
                int width = in.getInt(8);
                reply(valid(offset, width, 4096) ? target.configRead(offset, width) & mask(width) : mask(width));
            }
            case PCI_CFGWRITE -> {
                int offset = in.getInt(0);
                int width = in.getInt(8);
                if (valid(offset, width, 4096)) {
                    target.configWrite(offset, width, in.getInt(4));
                }
                reply(0);
            }
            case BAR_READ -> {
                int width = in.getInt(16);
                boolean memory = data[20] != 0;
                reply(width == 1 || width == 2 || width == 4 || width == 8
                        ? target.barRead(in.getLong(0), width, memory) & mask(width) : -1L);
            }
            case BAR_WRITE -> {
                int width = in.getInt(16);
                if (width == 1 || width == 2 || width == 4 || width == 8) {
                    target.barWrite(in.getLong(0), width, in.getLong(8), data[20] != 0);
                }
                reply(0);
            }
            case DEVICE_RESET -> {
                target.reset();
                reply(0);
            }
            default -> {
                // SYNC_SYSMEM and SET_IRQFD take no reply; their descriptors were closed on receipt.
            }
        }
    }

    private static boolean valid(int offset, int width, int size) {
        return (width == 1 || width == 2 || width == 4) && offset >= 0 && offset <= size - width;
    }

    private static long mask(int width) {
        return width == 8 ? -1L : (1L << (8 * width)) - 1;
    }

    private void reply(long value) {
        out.clear();
        out.putInt(0, RET).putInt(4, 0).putLong(8, 8).putLong(HEADER, value);
        sockets.send(fd, reply, reply.length);
    }

    /**
     * Reads exactly {@code length} bytes; false at end of stream. Descriptors that come along
     * are closed at once: this side maps no guest memory and signals no eventfd.
     */
    private boolean fill(byte[] into, int length) {
        int got = 0;
        while (got < length) {
            UnixSockets.Received r = sockets.receive(fd, into, got, length - got);
            for (int passed : r.fds()) {
                sockets.close(passed);
            }
            if (r.bytes() == 0) {
                return false;
            }
            got += r.bytes();
        }
        return true;
    }

    private void end(String reason) {
        endReason = reason;
        LOG.log(Level.INFO, "%s: connection ended after %d message(s): %s", name, messages, reason);
    }

    /** Why the connection ended, once it has. */
    public String endReason() {
        return endReason;
    }

    public long messages() {
        return messages;
    }
}
