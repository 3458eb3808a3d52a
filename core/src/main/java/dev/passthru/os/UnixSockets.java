package dev.passthru.os;

import java.util.function.IntConsumer;

/**
 * The few system calls passthru needs on AF_UNIX stream sockets that Java's own channels do
 * not offer: passing file descriptors (SCM_RIGHTS), socket pairs, and raw descriptors to hand
 * to another process. One implementation calls the C library through java.lang.foreign
 * ({@link ForeignUnixSockets}); tests may use an in-memory one. File descriptors are plain
 * ints owned by whoever received or created them, who must {@link #close} them. A failed call
 * throws {@link NativeCallFailed}.
 */
public interface UnixSockets {

    /** What one receive brought: bytes read (0 at end of stream) and descriptors passed with them. */
    record Received(int bytes, int[] fds) {
    }

    /** A connected pair of stream sockets: two descriptors. */
    int[] socketPair();

    /** A stream socket connected to the listening socket at {@code path}. */
    int connect(String path);

    /**
     * A stream socket listening at {@code path}, which is replaced if a socket file is there
     * already (a server that stopped leaves it behind); anything else at the path is an error.
     */
    int listen(String path);

    /** The next connection to a listening socket, waiting for one. */
    int accept(int listener);

    /**
     * Reads up to {@code length} bytes into {@code into} from {@code offset}, with any file
     * descriptors that came along (closed-on-exec in this process).
     */
    Received receive(int fd, byte[] into, int offset, int length);

    /**
     * {@link #receive(int, byte[], int, int)} for a path that receives once per message: the
     * bytes read (0 at end of stream), each descriptor that came along handed to {@code passed},
     * nothing allocated where the implementation can help it. {@code passed} may close a
     * descriptor but must not send or receive.
     */
    default int receive(int fd, byte[] into, int offset, int length, IntConsumer passed) {
        Received received = receive(fd, into, offset, length);
        for (int descriptor : received.fds()) {
            passed.accept(descriptor);
        }
        return received.bytes();
    }

    /** No descriptors to pass: a send without them need not allocate an empty array for its varargs. */
    int[] NO_FDS = {};

    /** Writes all of {@code data[0..length)}, passing {@code fds} with the first byte. */
    void send(int fd, byte[] data, int length, int... fds);

    /** Ends both directions of a socket, waking a thread blocked receiving on it. */
    void shutdown(int fd);

    void close(int fd);
}
