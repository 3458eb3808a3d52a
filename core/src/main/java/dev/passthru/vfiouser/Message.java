package dev.passthru.vfiouser;

import org.jspecify.annotations.Nullable;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One vfio-user message as it arrived: its header fields, its payload (what follows the
 * 16-byte header) and the descriptors that came with it. {@code malformed} names what was
 * wrong with a message whose header could not be taken as it said (then the payload is empty):
 * the server answers it with an error and reads on.
 */
record Message(int id, int command, int flags, int error, byte[] payload, int[] fds, @Nullable Malformed malformed) {

    /** What was wrong with a message's header, and the errno its error reply carries. */
    record Malformed(int errno, String why) {
    }

    boolean reply() {
        return (flags & VfioUser.TYPE_MASK) == VfioUser.TYPE_REPLY;
    }

    boolean noReply() {
        return (flags & VfioUser.NO_REPLY) != 0;
    }

    boolean failed() {
        return (flags & VfioUser.ERROR) != 0;
    }

    /** The payload, little-endian, positioned at its start. */
    ByteBuffer body() {
        return ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
    }
}
