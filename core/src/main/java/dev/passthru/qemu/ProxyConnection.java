package dev.passthru.qemu;

import dev.passthru.log.RateLimitedLog;
import dev.passthru.os.NativeCallFailed;
import dev.passthru.os.UnixSockets;
import org.jspecify.annotations.Nullable;

import java.lang.System.Logger.Level;
import java.util.function.IntConsumer;

/**
 * One function served to QEMU's {@code x-pci-proxy-dev} over a connected AF_UNIX stream socket,
 * in the wire format of QEMU 7.2's multi-process link (hw/remote/mpqemu-link.h): a 16-byte
 * header ({@code int32 cmd}, padding, {@code uint64 size}) and {@code size} bytes of data,
 * little-endian; file descriptors ride on the header as SCM_RIGHTS. Config and BAR accesses
 * and resets are answered with a RET carrying one {@code uint64}; guest memory (SYNC_SYSMEM)
 * and interrupt eventfds (SET_IRQFD) are accepted and their descriptors closed, as nothing
 * here does DMA or raises interrupts. A message with an unknown command or a size that does
 * not fit it ends the connection, logged with the reason; QEMU is never left waiting for a
 * reply to a message it sent whole. Messages are received into one {@link ProxyMessage} and
 * answered from another, both kept for the connection's life: serving an access allocates nothing.
 */
public final class ProxyConnection implements Runnable {

    private static final RateLimitedLog LOG = RateLimitedLog.of(ProxyConnection.class.getName());

    private final UnixSockets sockets;
    private final int fd;
    private final ProxyTarget target;
    private final String name;
    private final ProxyMessage message = new ProxyMessage(ProxyMessage.LARGEST);
    private final ProxyMessage reply = new ProxyMessage(ProxyMessage.HEADER + ProxyMessage.RET_DATA);
    /** Descriptors that come along are closed at once: this side maps no guest memory and signals no eventfd. */
    private final IntConsumer closePassed;
    private volatile @Nullable String endReason;
    private long messages;

    /** Serves {@code target} on {@code fd}, which the connection owns and closes when it ends. */
    public ProxyConnection(UnixSockets sockets, int fd, ProxyTarget target, String name) {
        this.sockets = sockets;
        this.fd = fd;
        this.target = target;
        this.name = name;
        this.closePassed = sockets::close;
    }

    @Override
    public void run() {
        try {
            while (true) {
                if (!fill(0, ProxyMessage.HEADER)) {
                    end("QEMU closed the connection");
                    return;
                }
                int cmd = message.cmd();
                long size = message.size();
                String bad = check(cmd, size);
                if (bad != null) {
                    end(bad);
                    return;
                }
                if (size > 0 && !fill(ProxyMessage.HEADER, (int) size)) {
                    end("QEMU closed the connection inside a message");
                    return;
                }
                messages++;
                answer(cmd);
            }
        } catch (NativeCallFailed e) {
            end(e.getMessage());
        } finally {
            sockets.close(fd);
        }
    }

    /** Why the message cannot be taken, or null. */
    private static @Nullable String check(int cmd, long size) {
        long expected = switch (cmd) {
            case ProxyMessage.SYNC_SYSMEM -> ProxyMessage.SYSMEM_DATA;
            case ProxyMessage.PCI_CFGWRITE, ProxyMessage.PCI_CFGREAD -> ProxyMessage.CONFIG_DATA;
            case ProxyMessage.BAR_WRITE, ProxyMessage.BAR_READ -> ProxyMessage.BAR_DATA;
            case ProxyMessage.SET_IRQFD, ProxyMessage.DEVICE_RESET -> 0;
            default -> -1;
        };
        if (expected < 0) {
            return "unknown command " + cmd;
        }
        return size == expected ? null : "command " + cmd + " with " + size + " bytes of data, expected " + expected;
    }

    private void answer(int cmd) {
        switch (cmd) {
            case ProxyMessage.PCI_CFGREAD -> {
                int offset = message.configAddress();
                int width = message.configWidth();
                reply(valid(offset, width, 4096) ? target.configRead(offset, width) & mask(width) : mask(width));
            }
            case ProxyMessage.PCI_CFGWRITE -> {
                int offset = message.configAddress();
                int width = message.configWidth();
                if (valid(offset, width, 4096)) {
                    target.configWrite(offset, width, message.configValue());
                }
                reply(0);
            }
            case ProxyMessage.BAR_READ -> {
                int width = message.barWidth();
                reply(width == 1 || width == 2 || width == 4 || width == 8
                        ? target.barRead(message.barAddress(), width, message.barMemory()) & mask(width) : -1L);
            }
            case ProxyMessage.BAR_WRITE -> {
                int width = message.barWidth();
                if (width == 1 || width == 2 || width == 4 || width == 8) {
                    target.barWrite(message.barAddress(), width, message.barValue(), message.barMemory());
                }
                reply(0);
            }
            case ProxyMessage.DEVICE_RESET -> {
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
        sockets.send(fd, reply.ret(value).bytes(), reply.length(), UnixSockets.NO_FDS);
    }

    /** Reads exactly {@code length} bytes into the message from {@code offset}; false at end of stream. */
    private boolean fill(int offset, int length) {
        int got = 0;
        while (got < length) {
            int bytes = sockets.receive(fd, message.bytes(), offset + got, length - got, closePassed);
            if (bytes == 0) {
                return false;
            }
            got += bytes;
        }
        return true;
    }

    private void end(String reason) {
        endReason = reason;
        LOG.log(Level.INFO, "%s: connection ended after %d message(s): %s", name, messages, reason);
    }

    /** Why the connection ended, or null while it has not. */
    public @Nullable String endReason() {
        return endReason;
    }

    public long messages() {
        return messages;
    }
}
