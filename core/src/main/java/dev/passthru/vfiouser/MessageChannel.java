package dev.passthru.vfiouser;

import dev.passthru.os.UnixSockets;
import org.jspecify.annotations.Nullable;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * vfio-user messages over one connected stream socket: whole messages read, with the
 * descriptors that came with them (at most {@link VfioUser#MAX_MSG_FDS}; more are closed), and
 * written whole under a lock, so that replies and the server's own commands never interleave.
 * A message larger than the server takes is read past and handed up empty, marked malformed,
 * so the stream stays in step.
 */
final class MessageChannel {

    private final UnixSockets sockets;
    private final int fd;
    private final byte[] header = new byte[VfioUser.HEADER];

    MessageChannel(UnixSockets sockets, int fd) {
        this.sockets = sockets;
        this.fd = fd;
    }

    int fd() {
        return fd;
    }

    /** The next message, or null at end of stream (also when the stream ends inside a message). */
    @Nullable Message read() {
        int[] fds = new int[VfioUser.MAX_MSG_FDS];
        int[] count = {0};
        if (!fill(header, 0, VfioUser.HEADER, fds, count)) {
            closeAll(fds, count[0]);
            return null;
        }
        ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        int id = h.getShort(0) & 0xffff;
        int command = h.getShort(2) & 0xffff;
        long size = h.getInt(4) & 0xffff_ffffL;
        int flags = h.getInt(8);
        int error = h.getInt(12);
        int[] passed = Arrays.copyOf(fds, count[0]);
        if (size < VfioUser.HEADER) {
            return new Message(id, command, flags, error, new byte[0], passed, new Message.Malformed(VfioUser.EINVAL,
                    "message size " + size + " is less than the 16-byte header"));
        }
        if (size > VfioUser.MAX_MESSAGE) {
            return skip(size - VfioUser.HEADER) ? new Message(id, command, flags, error, new byte[0], passed,
                    new Message.Malformed(VfioUser.E2BIG, "message size " + size + " is over the " + VfioUser.MAX_MESSAGE
                            + " bytes this server takes")) : null;
        }
        byte[] payload = new byte[(int) size - VfioUser.HEADER];
        if (!fill(payload, 0, payload.length, fds, count)) {
            closeAll(fds, count[0]);
            return null;
        }
        return new Message(id, command, flags, error, payload, Arrays.copyOf(fds, count[0]), null);
    }

    private boolean fill(byte[] into, int from, int length, int[] fds, int[] count) {
        int at = from;
        while (at < from + length) {
            int got = sockets.receive(fd, into, at, from + length - at, passed -> {
                if (count[0] < fds.length) {
                    fds[count[0]++] = passed;
                } else {
                    sockets.close(passed);
                }
            });
            if (got == 0) {
                return false;
            }
            at += got;
        }
        return true;
    }

    private boolean skip(long length) {
        byte[] sink = new byte[64 * 1024];
        long left = length;
        while (left > 0) {
            int got = sockets.receive(fd, sink, 0, (int) Math.min(sink.length, left), sockets::close);
            if (got == 0) {
                return false;
            }
            left -= got;
        }
        return true;
    }

    private void closeAll(int[] fds, int count) {
        for (int i = 0; i < count; i++) {
            sockets.close(fds[i]);
        }
    }

    /** Writes one message: the header made from these fields, then the payload, the descriptors with its first byte. */
    synchronized void send(int id, int command, int flags, int error, byte[] payload, int... fds) {
        byte[] message = new byte[VfioUser.HEADER + payload.length];
        ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN).putShort((short) id).putShort((short) command)
                .putInt(message.length).putInt(flags).putInt(error).put(payload);
        sockets.send(fd, message, message.length, fds);
    }
}
