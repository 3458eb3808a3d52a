package dev.passthru.vfio;

/**
 * The system calls the VFIO backend makes, and nothing else: open, close, ioctl on a buffer of
 * the struct the ioctl takes, pread and pwrite, eventfds. One implementation calls the C library
 * through java.lang.foreign ({@link ForeignVfioCalls}); tests use an in-memory kernel. Every
 * failure is a {@link dev.passthru.os.NativeCallFailed} naming the call, the file or device, and errno.
 */
public interface VfioCalls {

    /** Opens {@code path} read-write, close-on-exec. */
    int open(String path);

    void close(int fd);

    /** ioctl with no argument or an integer argument; its result. */
    int ioctl(int fd, long request, long argument, String what);

    /** ioctl on {@code struct}, which the kernel reads and fills in place; its result. */
    int ioctl(int fd, long request, byte[] struct, String what);

    /** Reads {@code length} bytes at {@code offset} of the file (a device region). */
    int pread(int fd, byte[] into, int length, long offset, String what);

    int pwrite(int fd, byte[] from, int length, long offset, String what);

    /**
     * Maps {@code size} bytes of the file at {@code offset} (a mappable region) shared into this
     * process; the address, or 0 where this implementation does not map.
     */
    long map(int fd, long size, long offset, String what);

    void unmap(long address, long size);

    /** A {@code width}-byte (1, 2, 4, 8) load or store at a mapped address, as one access. */
    long load(long address, int width);

    void store(long address, int width, long value);

    /** A new eventfd, close-on-exec. */
    int eventfd();

    /** The eventfd's counter, reset to 0; 0 when it was not signalled (non-blocking read). */
    long drain(int eventfd);

    /** Adds 1 to the eventfd's counter, waking whoever waits on it (an interrupt delivered). */
    void signal(int eventfd);

    /** Anonymous memory of {@code size} bytes for DMA: its address in this process. */
    long allocate(long size);

    /** Reads and writes process memory at an address from {@link #allocate}. */
    void copyIn(long address, byte[] from);

    void copyOut(long address, byte[] into);
}
