package dev.passthru.vfio;

import dev.passthru.os.CallMemory;
import dev.passthru.os.NativeCallFailed;
import dev.passthru.os.NativeCalls;

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
 * its third argument. Every call works in its thread's {@link CallMemory}: struct and data
 * bytes are copied into its scratch for the call and back, so config and BAR accesses by pread
 * and pwrite allocate nothing. Not final: the benchmarks' file-backed stand-in for a device
 * answers the open sequence itself and inherits these file calls, so that they are measured at
 * the call depth they have here.
 */
public class ForeignVfioCalls implements VfioCalls {

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
    private static final MethodHandle WRITE = NativeCalls.bind("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
    private static final MethodHandle EVENTFD = NativeCalls.bind("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), -1);
    private static final int MAP_SHARED = 0x01;
    private static final MethodHandle MUNMAP = NativeCalls.bind("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), -1);
    private static final MethodHandle MMAP = NativeCalls.bind("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), -1);

    @Override
    public int open(String path) {
        CallMemory memory = CallMemory.current();
        MemorySegment name = memory.scratch(3L * path.length() + 1);
        name.setString(0, path);
        try {
            return memory.check((int) OPEN.invokeExact(memory.state(), name, O_RDWR | O_CLOEXEC), "open", path);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    @Override
    public void close(int fd) {
        CallMemory memory = CallMemory.current();
        int result;
        try {
            result = (int) CLOSE.invokeExact(memory.state(), fd);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
        if (result < 0) {
            throw new NativeCallFailed("close", "fd " + fd, memory.errno());
        }
    }

    @Override
    public int ioctl(int fd, long request, long argument, String what) {
        CallMemory memory = CallMemory.current();
        int result;
        try {
            result = (int) IOCTL_LONG.invokeExact(memory.state(), fd, request, argument);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
        return checkIoctl(result, request, what, memory);
    }

    @Override
    public int ioctl(int fd, long request, byte[] struct, String what) {
        CallMemory memory = CallMemory.current();
        MemorySegment buffer = memory.scratch(struct.length);
        MemorySegment.copy(struct, 0, buffer, JAVA_BYTE, 0, struct.length);
        int result;
        try {
            result = (int) IOCTL_POINTER.invokeExact(memory.state(), fd, request, buffer);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
        checkIoctl(result, request, what, memory);
        MemorySegment.copy(buffer, JAVA_BYTE, 0, struct, 0, struct.length);
        return result;
    }

    @Override
    public int pread(int fd, byte[] into, int length, long offset, String what) {
        CallMemory memory = CallMemory.current();
        MemorySegment buffer = memory.scratch(length);
        long got;
        try {
            got = memory.check((long) PREAD.invokeExact(memory.state(), fd, buffer, (long) length, offset), "pread", what);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
        MemorySegment.copy(buffer, JAVA_BYTE, 0, into, 0, (int) got);
        return (int) got;
    }

    @Override
    public int pwrite(int fd, byte[] from, int length, long offset, String what) {
        CallMemory memory = CallMemory.current();
        MemorySegment buffer = memory.scratch(length);
        MemorySegment.copy(from, 0, buffer, JAVA_BYTE, 0, length);
        try {
            return (int) memory.check((long) PWRITE.invokeExact(memory.state(), fd, buffer, (long) length, offset),
                    "pwrite", what);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    @Override
    public int eventfd() {
        CallMemory memory = CallMemory.current();
        try {
            return memory.check((int) EVENTFD.invokeExact(memory.state(), 0, EFD_CLOEXEC | EFD_NONBLOCK), "eventfd", "");
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    @Override
    public long drain(int eventfd) {
        CallMemory memory = CallMemory.current();
        MemorySegment counter = memory.scratch(8);
        long got;
        try {
            got = (long) READ.invokeExact(memory.state(), eventfd, counter, 8L);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
        if (got < 0) {
            if (memory.errno() == EAGAIN) {
                return 0;
            }
            throw new NativeCallFailed("read", "eventfd " + eventfd, memory.errno());
        }
        return counter.get(JAVA_LONG, 0);
    }

    @Override
    public void signal(int eventfd) {
        CallMemory memory = CallMemory.current();
        MemorySegment one = memory.scratch(8);
        one.set(JAVA_LONG, 0, 1L);
        try {
            memory.check((long) WRITE.invokeExact(memory.state(), eventfd, one, 8L), "write", "eventfd " + eventfd);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    @Override
    public long allocate(long size) {
        return mmap(size, MAP_PRIVATE_ANONYMOUS, -1, 0, size + " anonymous bytes");
    }

    @Override
    public long map(int fd, long size, long offset, String what) {
        return mmap(size, MAP_SHARED, fd, offset, what);
    }

    private static long mmap(long size, int flags, int fd, long offset, String what) {
        CallMemory memory = CallMemory.current();
        MemorySegment mapped;
        try {
            mapped = (MemorySegment) MMAP.invokeExact(memory.state(), MemorySegment.NULL, size, PROT_READ_WRITE, flags, fd,
                    offset);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
        if (mapped.address() == -1L) {
            throw new NativeCallFailed("mmap", what, memory.errno());
        }
        return mapped.address();
    }

    @Override
    public void unmap(long address, long size) {
        CallMemory memory = CallMemory.current();
        int result;
        try {
            result = (int) MUNMAP.invokeExact(memory.state(), MemorySegment.ofAddress(address), size);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
        if (result < 0) {
            throw new NativeCallFailed("munmap", "0x" + Long.toHexString(address), memory.errno());
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

    /** The ioctl's result; a failure is named by the ioctl's name, looked up only then. */
    private static int checkIoctl(int result, long request, String what, CallMemory memory) {
        if (result < 0) {
            throw new NativeCallFailed(Vfio.name(request), what, memory.errno());
        }
        return result;
    }
}
