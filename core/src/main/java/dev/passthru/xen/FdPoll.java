package dev.passthru.xen;

import dev.passthru.os.CallMemory;
import dev.passthru.os.NativeCallFailed;
import dev.passthru.os.NativeCalls;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * poll(2) on the one descriptor a Xen library hands out for its events (an event channel
 * handle's, a xenstore connection's watch pipe), in the calling thread's call memory: the
 * serving thread waits this way once per ioreq, so it allocates nothing.
 */
final class FdPoll {

    private static final short POLLIN = 1;
    private static final int EINTR = 4;
    /** struct pollfd: int fd at 0, short events at 4, short revents at 6. */
    private static final long POLLFD_BYTES = 8;
    private static final MethodHandle POLL = NativeCalls.bind("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), -1);

    private FdPoll() {
    }

    /**
     * Whether {@code fd} became readable within {@code timeoutMillis}; a signal that ends the
     * wait early reads as "not yet", as a timeout does. {@code what} names the descriptor in an error.
     */
    static boolean readable(int fd, int timeoutMillis, Object what) {
        CallMemory call = CallMemory.current();
        MemorySegment pollfd = call.scratch(POLLFD_BYTES);
        pollfd.set(JAVA_INT, 0, fd);
        pollfd.set(JAVA_SHORT, 4, POLLIN);
        int ready;
        try {
            ready = (int) POLL.invokeExact(call.state(), pollfd, 1L, timeoutMillis);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
        if (ready < 0 && call.errno() != EINTR) {
            throw new NativeCallFailed("poll", what, call.errno());
        }
        return ready > 0;
    }
}
