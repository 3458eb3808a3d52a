package dev.passthru.vfio;

import dev.passthru.os.NativeCalls;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@link VfioCalls} on the C library of Linux x86-64 through java.lang.foreign, errno captured
 * with every call. ioctl is variadic: it is bound twice, with an integer and with a pointer as
 * its third argument. Struct buffers are copied into native memory for the call and back.
 */
public final class ForeignVfioCalls implements VfioCalls {

    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    private static final int EFD_CLOEXEC = 0x80000;
    private static final int EFD_NONBLOCK = 0x800;
    private static final int EAGAIN = 11;
    private static final int PROT_READ_WRITE = 3;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x22;

    private static final MethodHandle OPEN = NativeCalls.bind("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), 2);
    private static final MethodHandle CLOSE = NativeCalls.bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle IOCTL_LONG = NativeCalls.bind("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), 2);
    private static final MethodHandle IOCTL_POINTER = NativeCalls.bind("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);
    private static final MethodHandle PREAD = NativeCalls.bind("pread", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), -1);
    private static final MethodHandle PWRITE = NativeCalls.bind("pwrite", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), -1);
    private static final MethodHandle READ = NativeCalls.bind("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
    private static final MethodHandle EVENTFD = NativeCalls.bind("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), -1);
    private static final int MAP_SHARED = 0x01;
    private static final MethodHandle MUNMAP = NativeCalls.bind("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), -1);
    private static final MethodHandle MMAP = NativeCalls.bind("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), -1);

    @Override
    public int open(String path) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(NativeCalls.CALL_STATE);
            int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path), O_RDWR | O_CLOEXEC);
            return check(fd, "open", path, state);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    @Override
    public void close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(NativeCalls.CALL_STATE);
            check((int) CLOSE.invokeExact(state, fd), "close", "fd " + fd, state);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    @Override
    public int ioctl(int fd, long request, long argument, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(NativeCalls.CALL_STATE);
            return check((int) IOCTL_LONG.invokeExact(state, fd, request, argument), name(request), what, state);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    @Override
    public int ioctl(int fd, long request, byte[] struct, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(NativeCalls.CALL_STATE);
            MemorySegment buffer = arena.allocate(struct.length, 8);
            MemorySegment.copy(struct, 0, buffer, JAVA_BYTE, 0, struct.length);
            int result = check((int) IOCTL_POINTER.invokeExact(state, fd, request, buffer), name(request), what, state);
            MemorySegment.copy(buffer, JAVA_BYTE, 0, struct, 0, struct.length);
            return result;
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    @Override
    public int pread(int fd, byte[] into, int length, long offset, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(NativeCalls.CALL_STATE);
            MemorySegment buffer = arena.allocate(Math.max(1, length));
            long got = (long) PREAD.invokeExact(state, fd, buffer, (long) length, offset);
            check((int) Math.min(got, 0), "pread", what, state);
            MemorySegment.copy(buffer, JAVA_BYTE, 0, into, 0, (int) got);
            return (int) got;
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    @Override
    public int pwrite(int fd, byte[] from, int length, long offset, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(NativeCalls.CALL_STATE);
            MemorySegment buffer = arena.allocate(Math.max(1, length));
            MemorySegment.copy(from, 0, buffer, JAVA_BYTE, 0, length);
            long done = (long) PWRITE.invokeExact(state, fd, buffer, (long) length, offset);
            check((int) Math.min(done, 0), "pwrite", what, state);
            return (int) done;
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    @Override
    public int eventfd() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(NativeCalls.CALL_STATE);
            return check((int) EVENTFD.invokeExact(state, 0, EFD_CLOEXEC | EFD_NONBLOCK), "eventfd", "a new eventfd", state);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    @Override
    public long drain(int eventfd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(NativeCalls.CALL_STATE);
            MemorySegment counter = arena.allocate(JAVA_LONG);
            long got = (long) READ.invokeExact(state, eventfd, counter, 8L);
            if (got < 0) {
                int errno = NativeCalls.errno(state);
                if (errno == EAGAIN) {
                    return 0;
                }
                throw new VfioException("read", "eventfd " + eventfd, errno);
            }
            return counter.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    @Override
    public long allocate(long size) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(NativeCalls.CALL_STATE);
            MemorySegment mapped = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, size, PROT_READ_WRITE,
                    MAP_PRIVATE_ANONYMOUS, -1, 0L);
            if (mapped.address() == -1L) {
                throw new VfioException("mmap", size + " bytes", NativeCalls.errno(state));
            }
            return mapped.address();
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    @Override
    public long map(int fd, long size, long offset, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(NativeCalls.CALL_STATE);
            MemorySegment mapped = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, size, PROT_READ_WRITE,
                    MAP_SHARED, fd, offset);
            if (mapped.address() == -1L) {
                throw new VfioException("mmap", what, NativeCalls.errno(state));
            }
            return mapped.address();
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    @Override
    public void unmap(long address, long size) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(NativeCalls.CALL_STATE);
            int result = (int) MUNMAP.invokeExact(state, MemorySegment.ofAddress(address), size);
            if (result < 0) {
                throw new VfioException("munmap", "0x" + Long.toHexString(address), NativeCalls.errno(state));
            }
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    @Override
    public long load(long address, int width) {
        MemorySegment at = MemorySegment.ofAddress(address).reinterpret(width);
        return switch (width) {
            case 1 -> at.get(JAVA_BYTE, 0) & 0xffL;
            case 2 -> at.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0) & 0xffffL;
            case 4 -> at.get(ValueLayout.JAVA_INT_UNALIGNED, 0) & 0xffff_ffffL;
            default -> at.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        };
    }

    @Override
    public void store(long address, int width, long value) {
        MemorySegment at = MemorySegment.ofAddress(address).reinterpret(width);
        switch (width) {
            case 1 -> at.set(JAVA_BYTE, 0, (byte) value);
            case 2 -> at.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) value);
            case 4 -> at.set(ValueLayout.JAVA_INT_UNALIGNED, 0, (int) value);
            default -> at.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, value);
        }
    }

    @Override
    public void copyIn(long address, byte[] from) {
        MemorySegment.copy(from, 0, MemorySegment.ofAddress(address).reinterpret(from.length), JAVA_BYTE, 0, from.length);
    }

    @Override
    public void copyOut(long address, byte[] into) {
        MemorySegment.copy(MemorySegment.ofAddress(address).reinterpret(into.length), JAVA_BYTE, 0, into, 0, into.length);
    }

    private static int check(int result, String call, String what, MemorySegment state) {
        if (result < 0) {
            throw new VfioException(call, what, NativeCalls.errno(state));
        }
        return result;
    }

    private static String name(long request) {
        return Vfio.name(request);
    }

}
