package dev.passthru.os;

/**
 * The few system calls passthru needs on AF_UNIX stream sockets that Java's own channels do
 * not offer: passing file descriptors (SCM_RIGHTS), socket pairs, and raw descriptors to hand
 * to another process. One implementation calls the C library through java.lang.foreign
 * ({@link ForeignUnixSockets}); tests may use an in-memory one. File descriptors are plain
 * ints owned by whoever received or created them, who must {@link #close} them.
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
     * Reads up to {@code length} bytes into {@code into} from {@code offset}, with any file
     * descriptors that came along (closed-on-exec in this process).
     */
    Received receive(int fd, byte[] into, int offset, int length);

    /** Writes all of {@code data[0..length)}, passing {@code fds} with the first byte. */
    void send(int fd, byte[] data, int length, int... fds);

    /** Ends both directions of a socket, waking a thread blocked receiving on it. */
    void shutdown(int fd);

    void close(int fd);

    /** Where a call failed: its name and errno. */
    final class NativeException extends RuntimeException {
        private final int errno;

        public NativeException(String call, int errno) {
            super(call + " failed: errno " + errno + " (" + ErrnoNames.name(errno) + ")");
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }
}
