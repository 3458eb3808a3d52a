package dev.passthru.os;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@link UnixSockets} on the C library of Linux x86-64, through java.lang.foreign. Every call
 * works in its thread's {@link CallMemory}: a message's msghdr, iovec, control buffer and data
 * are laid out in the scratch segment, so sending and receiving allocate nothing.
 *
 * <pre>
 * scratch  0               64         80                           160
 *          | msghdr (56)   | iovec    | cmsghdr + 16 fds (80)      | data ...
 * msghdr:  name 0, namelen 8, iov 16, iovlen 24, control 32, controllen 40, flags 48
 * iovec:   base 0, len 8;  cmsghdr: len 0 (size_t), level 8, type 12, data 16
 * </pre>
 */
public final class ForeignUnixSockets implements UnixSockets {

    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int MSG_CMSG_CLOEXEC = 0x4000_0000;
    private static final int EINTR = 4;
    /** Descriptors one message may bring: QEMU sends at most 8 memfds with SYNC_SYSMEM. */
    private static final int MAX_FDS = 16;
    private static final long CMSG_HEADER = 16;
    private static final int SUN_PATH = 108;
    private static final int BACKLOG = 8;
    private static final int EADDRINUSE = 98;
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private static final long MSG_AT = 0;
    private static final long MSG_NAME = 0;
    private static final long MSG_NAMELEN = 8;
    private static final long MSG_IOV = 16;
    private static final long MSG_IOVLEN = 24;
    private static final long MSG_CONTROL = 32;
    private static final long MSG_CONTROLLEN = 40;
    private static final long MSG_FLAGS = 48;
    private static final long IOV_AT = 64;
    private static final long IOV_LEN = 8;
    private static final long CONTROL_AT = 80;
    private static final long DATA_AT = CONTROL_AT + space(MAX_FDS);

    private static final MethodHandle SOCKETPAIR = function("socketpair", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS);
    private static final MethodHandle SOCKET = function("socket", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle CONNECT = function("connect", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle BIND = function("bind", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle LISTEN = function("listen", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle ACCEPT4 = function("accept4", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);
    private static final MethodHandle RECVMSG = function("recvmsg", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle SENDMSG = function("sendmsg", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle CLOSE = function("close", JAVA_INT, JAVA_INT);
    private static final MethodHandle SHUTDOWN = function("shutdown", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final int SHUT_RDWR = 2;

    private static MethodHandle function(String name, ValueLayout result, ValueLayout... arguments) {
        return NativeCalls.bind(name, FunctionDescriptor.of(result, arguments), -1);
    }

    @Override
    public int[] socketPair() {
        CallMemory memory = CallMemory.current();
        MemorySegment pair = memory.scratch(8);
        try {
            memory.check((int) SOCKETPAIR.invokeExact(memory.state(), AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair),
                    "socketpair", "");
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
        return new int[] {pair.getAtIndex(JAVA_INT, 0), pair.getAtIndex(JAVA_INT, 1)};
    }

    @Override
    public int connect(String path) {
        CallMemory memory = CallMemory.current();
        try {
            int fd = memory.check((int) SOCKET.invokeExact(memory.state(), AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0),
                    "socket", "AF_UNIX");
            MemorySegment address = address(memory, path);
            int result = (int) CONNECT.invokeExact(memory.state(), fd, address, (int) address.byteSize());
            if (result < 0) {
                int errno = memory.errno();
                close(fd);
                throw new NativeCallFailed("connect", path, errno);
            }
            return fd;
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    @Override
    public int listen(String path) {
        Path file = Path.of(path);
        try {
            if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                if (!isSocket(file)) {
                    throw new NativeCallFailed("bind", path + " (not a socket, left alone)", EADDRINUSE);
                }
                Files.delete(file);
            }
        } catch (IOException e) {
            throw new NativeCallFailed("bind", path + " (" + e.getMessage() + ")", EADDRINUSE);
        }
        CallMemory memory = CallMemory.current();
        try {
            int fd = memory.check((int) SOCKET.invokeExact(memory.state(), AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0),
                    "socket", "AF_UNIX");
            MemorySegment address = address(memory, path);
            int result = (int) BIND.invokeExact(memory.state(), fd, address, (int) address.byteSize());
            if (result >= 0) {
                result = (int) LISTEN.invokeExact(memory.state(), fd, BACKLOG);
            }
            if (result < 0) {
                int errno = memory.errno();
                close(fd);
                throw new NativeCallFailed("bind", path, errno);
            }
            return fd;
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    private static boolean isSocket(Path file) throws IOException {
        Object mode = Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return mode instanceof Integer bits && (bits & S_IFMT) == S_IFSOCK;
    }

    @Override
    public int accept(int listener) {
        CallMemory memory = CallMemory.current();
        int fd;
        try {
            do {
                fd = (int) ACCEPT4.invokeExact(memory.state(), listener, MemorySegment.NULL, MemorySegment.NULL, SOCK_CLOEXEC);
            } while (fd < 0 && memory.errno() == EINTR);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
        return memory.check(fd, "accept", "fd " + listener);
    }

    /** A sockaddr_un for {@code path} in the thread's scratch, as long as it needs to be. */
    private static MemorySegment address(CallMemory memory, String path) {
        byte[] name = path.getBytes(StandardCharsets.UTF_8);
        if (name.length >= SUN_PATH) {
            throw new IllegalArgumentException(path + ": longer than a unix socket path may be (107 bytes)");
        }
        MemorySegment address = memory.scratch(2 + SUN_PATH).asSlice(0, 2 + name.length + 1);
        address.fill((byte) 0);
        address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
        MemorySegment.copy(name, 0, address, JAVA_BYTE, 2, name.length);
        return address;
    }

    @Override
    public Received receive(int fd, byte[] into, int offset, int length) {
        IntStream.Builder fds = IntStream.builder();
        int bytes = receive(fd, into, offset, length, fds);
        return new Received(bytes, fds.build().toArray());
    }

    @Override
    public int receive(int fd, byte[] into, int offset, int length, IntConsumer passed) {
        CallMemory memory = CallMemory.current();
        MemorySegment scratch = memory.scratch(DATA_AT + Math.max(1, length));
        long base = scratch.address();
        message(scratch);
        scratch.set(JAVA_LONG, MSG_AT + MSG_CONTROL, base + CONTROL_AT);
        scratch.set(JAVA_LONG, MSG_AT + MSG_CONTROLLEN, space(MAX_FDS));
        scratch.set(JAVA_LONG, IOV_AT, base + DATA_AT);
        scratch.set(JAVA_LONG, IOV_AT + IOV_LEN, (long) length);
        long got;
        try {
            do {
                got = (long) RECVMSG.invokeExact(memory.state(), fd, scratch, MSG_CMSG_CLOEXEC);
            } while (got < 0 && memory.errno() == EINTR);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
        if (got < 0) {
            throw new NativeCallFailed("recvmsg", "fd " + fd, memory.errno());
        }
        MemorySegment.copy(scratch, JAVA_BYTE, DATA_AT, into, offset, (int) got);
        passFds(scratch, scratch.get(JAVA_LONG, MSG_AT + MSG_CONTROLLEN), passed);
        return (int) got;
    }

    /** Hands over the descriptors of the SCM_RIGHTS messages in the control buffer, {@code used} bytes long. */
    private static void passFds(MemorySegment scratch, long used, IntConsumer passed) {
        long at = 0;
        while (at + CMSG_HEADER <= used) {
            long length = scratch.get(JAVA_LONG, CONTROL_AT + at);
            int level = scratch.get(JAVA_INT, CONTROL_AT + at + 8);
            int type = scratch.get(JAVA_INT, CONTROL_AT + at + 12);
            if (length < CMSG_HEADER) {
                return;
            }
            if (level == SOL_SOCKET && type == SCM_RIGHTS) {
                for (long i = 0; i < (length - CMSG_HEADER) / 4; i++) {
                    passed.accept(scratch.get(JAVA_INT, CONTROL_AT + at + CMSG_HEADER + 4 * i));
                }
            }
            at += (length + 7) & ~7L;
        }
    }

    @Override
    public void send(int fd, byte[] data, int length, int... fds) {
        if (fds.length > MAX_FDS) {
            throw new IllegalArgumentException(fds.length + " descriptors in one message; at most " + MAX_FDS);
        }
        CallMemory memory = CallMemory.current();
        MemorySegment scratch = memory.scratch(DATA_AT + Math.max(1, length));
        long base = scratch.address();
        MemorySegment.copy(data, 0, scratch, JAVA_BYTE, DATA_AT, length);
        message(scratch);
        if (fds.length > 0) {
            scratch.set(JAVA_LONG, CONTROL_AT, CMSG_HEADER + 4L * fds.length);
            scratch.set(JAVA_INT, CONTROL_AT + 8, SOL_SOCKET);
            scratch.set(JAVA_INT, CONTROL_AT + 12, SCM_RIGHTS);
            for (int i = 0; i < fds.length; i++) {
                scratch.set(JAVA_INT, CONTROL_AT + CMSG_HEADER + 4L * i, fds[i]);
            }
        }
        long sent = 0;
        while (sent < length) {
            scratch.set(JAVA_LONG, IOV_AT, base + DATA_AT + sent);
            scratch.set(JAVA_LONG, IOV_AT + IOV_LEN, length - sent);
            boolean withFds = sent == 0 && fds.length > 0;
            scratch.set(JAVA_LONG, MSG_AT + MSG_CONTROL, withFds ? base + CONTROL_AT : 0L);
            scratch.set(JAVA_LONG, MSG_AT + MSG_CONTROLLEN, withFds ? space(fds.length) : 0L);
            long done;
            try {
                done = (long) SENDMSG.invokeExact(memory.state(), fd, scratch, MSG_NOSIGNAL);
            } catch (Throwable t) {
                throw NativeCalls.rethrow(t);
            }
            if (done < 0) {
                if (memory.errno() == EINTR) {
                    continue;
                }
                throw new NativeCallFailed("sendmsg", "fd " + fd, memory.errno());
            }
            sent += done;
        }
    }

    @Override
    public void shutdown(int fd) {
        CallMemory memory = CallMemory.current();
        int result;
        try {
            result = (int) SHUTDOWN.invokeExact(memory.state(), fd, SHUT_RDWR);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
        if (result < 0) {
            throw new NativeCallFailed("shutdown", "fd " + fd, memory.errno());
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
        if (result < 0 && memory.errno() != EINTR) {
            throw new NativeCallFailed("close", "fd " + fd, memory.errno());
        }
    }

    /** A msghdr at the scratch's base with no name, no flags and one iovec, the scratch's own. */
    private static void message(MemorySegment scratch) {
        scratch.set(JAVA_LONG, MSG_AT + MSG_NAME, 0L);
        scratch.set(JAVA_LONG, MSG_AT + MSG_NAMELEN, 0L);
        scratch.set(JAVA_LONG, MSG_AT + MSG_IOV, scratch.address() + IOV_AT);
        scratch.set(JAVA_LONG, MSG_AT + MSG_IOVLEN, 1L);
        scratch.set(JAVA_LONG, MSG_AT + MSG_FLAGS, 0L);
    }

    /** CMSG_SPACE for {@code count} descriptors: header plus data, rounded up to 8 bytes. */
    private static long space(int count) {
        return (CMSG_HEADER + 4L * count + 7) & ~7L;
    }
}
