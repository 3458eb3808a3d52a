package dev.passthru.os;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@link UnixSockets} on the C library of Linux x86-64, through java.lang.foreign. Every call
 * captures errno; structures (msghdr, iovec, cmsghdr, sockaddr_un) are laid out here once.
 * Memory for a call lives in a confined arena for that call only.
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

    /** struct iovec { void *iov_base; size_t iov_len; } */
    private static final StructLayout IOVEC = MemoryLayout.structLayout(ADDRESS.withName("base"), JAVA_LONG.withName("len"));
    /** struct msghdr on x86-64, 56 bytes. */
    private static final StructLayout MSGHDR = MemoryLayout.structLayout(
            ADDRESS.withName("name"), JAVA_INT.withName("namelen"), MemoryLayout.paddingLayout(4),
            ADDRESS.withName("iov"), JAVA_LONG.withName("iovlen"),
            ADDRESS.withName("control"), JAVA_LONG.withName("controllen"),
            JAVA_INT.withName("flags"), MemoryLayout.paddingLayout(4));
    private static final VarHandle IOV_BASE = IOVEC.varHandle(MemoryLayout.PathElement.groupElement("base"));
    private static final VarHandle IOV_LEN = IOVEC.varHandle(MemoryLayout.PathElement.groupElement("len"));
    private static final VarHandle MSG_IOV = MSGHDR.varHandle(MemoryLayout.PathElement.groupElement("iov"));
    private static final VarHandle MSG_IOVLEN = MSGHDR.varHandle(MemoryLayout.PathElement.groupElement("iovlen"));
    private static final VarHandle MSG_CONTROL = MSGHDR.varHandle(MemoryLayout.PathElement.groupElement("control"));
    private static final VarHandle MSG_CONTROLLEN = MSGHDR.varHandle(MemoryLayout.PathElement.groupElement("controllen"));

    private static final MethodHandle SOCKETPAIR = function("socketpair", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS);
    private static final MethodHandle SOCKET = function("socket", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle CONNECT = function("connect", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
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
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(NativeCalls.CALL_STATE);
            MemorySegment pair = arena.allocate(JAVA_INT, 2);
            int result = (int) SOCKETPAIR.invokeExact(state, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair);
            check("socketpair", result, state);
            return new int[] {pair.getAtIndex(JAVA_INT, 0), pair.getAtIndex(JAVA_INT, 1)};
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    @Override
    public int connect(String path) {
        byte[] name = path.getBytes(StandardCharsets.UTF_8);
        if (name.length >= SUN_PATH) {
            throw new IllegalArgumentException(path + ": longer than a unix socket path may be (107 bytes)");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(NativeCalls.CALL_STATE);
            int fd = (int) SOCKET.invokeExact(state, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            check("socket", fd, state);
            MemorySegment address = arena.allocate(2 + SUN_PATH);
            address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
            MemorySegment.copy(name, 0, address, ValueLayout.JAVA_BYTE, 2, name.length);
            int result = (int) CONNECT.invokeExact(state, fd, address, 2 + name.length + 1);
            if (result < 0) {
                int errno = NativeCalls.errno(state);
                close(fd);
                throw new NativeException("connect " + path, errno);
            }
            return fd;
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    @Override
    public Received receive(int fd, byte[] into, int offset, int length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(NativeCalls.CALL_STATE);
            MemorySegment buffer = arena.allocate(Math.max(1, length));
            MemorySegment iov = arena.allocate(IOVEC);
            IOV_BASE.set(iov, 0L, buffer);
            IOV_LEN.set(iov, 0L, (long) length);
            long controlSize = space(MAX_FDS);
            MemorySegment control = arena.allocate(controlSize, 8);
            MemorySegment message = arena.allocate(MSGHDR);
            MSG_IOV.set(message, 0L, iov);
            MSG_IOVLEN.set(message, 0L, 1L);
            MSG_CONTROL.set(message, 0L, control);
            MSG_CONTROLLEN.set(message, 0L, controlSize);
            long got;
            do {
                got = (long) RECVMSG.invokeExact(state, fd, message, MSG_CMSG_CLOEXEC);
            } while (got < 0 && NativeCalls.errno(state) == EINTR);
            if (got < 0) {
                throw new NativeException("recvmsg", NativeCalls.errno(state));
            }
            MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, into, offset, (int) got);
            return new Received((int) got, fds(control, (long) MSG_CONTROLLEN.get(message, 0L)));
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    /** The descriptors of the SCM_RIGHTS messages in a control buffer {@code used} bytes long. */
    private static int[] fds(MemorySegment control, long used) {
        int[] found = new int[0];
        long at = 0;
        while (at + CMSG_HEADER <= used) {
            long length = control.get(JAVA_LONG, at);
            int level = control.get(JAVA_INT, at + 8);
            int type = control.get(JAVA_INT, at + 12);
            if (length < CMSG_HEADER) {
                break;
            }
            if (level == SOL_SOCKET && type == SCM_RIGHTS) {
                int count = (int) ((length - CMSG_HEADER) / 4);
                int[] more = new int[found.length + count];
                System.arraycopy(found, 0, more, 0, found.length);
                for (int i = 0; i < count; i++) {
                    more[found.length + i] = control.get(JAVA_INT, at + CMSG_HEADER + 4L * i);
                }
                found = more;
            }
            at += (length + 7) & ~7L;
        }
        return found;
    }

    @Override
    public void send(int fd, byte[] data, int length, int... fds) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(NativeCalls.CALL_STATE);
            MemorySegment buffer = arena.allocate(Math.max(1, length));
            MemorySegment.copy(data, 0, buffer, ValueLayout.JAVA_BYTE, 0, length);
            MemorySegment iov = arena.allocate(IOVEC);
            MemorySegment message = arena.allocate(MSGHDR);
            MSG_IOV.set(message, 0L, iov);
            MSG_IOVLEN.set(message, 0L, 1L);
            long sent = 0;
            boolean first = true;
            while (sent < length) {
                IOV_BASE.set(iov, 0L, buffer.asSlice(sent));
                IOV_LEN.set(iov, 0L, length - sent);
                if (first && fds.length > 0) {
                    long controlSize = space(fds.length);
                    MemorySegment control = arena.allocate(controlSize, 8);
                    control.set(JAVA_LONG, 0, CMSG_HEADER + 4L * fds.length);
                    control.set(JAVA_INT, 8, SOL_SOCKET);
                    control.set(JAVA_INT, 12, SCM_RIGHTS);
                    for (int i = 0; i < fds.length; i++) {
                        control.set(JAVA_INT, CMSG_HEADER + 4L * i, fds[i]);
                    }
                    MSG_CONTROL.set(message, 0L, control);
                    MSG_CONTROLLEN.set(message, 0L, controlSize);
                } else {
                    MSG_CONTROL.set(message, 0L, MemorySegment.NULL);
                    MSG_CONTROLLEN.set(message, 0L, 0L);
                }
                long done = (long) SENDMSG.invokeExact(state, fd, message, MSG_NOSIGNAL);
                if (done < 0) {
                    int errno = NativeCalls.errno(state);
                    if (errno == EINTR) {
                        continue;
                    }
                    throw new NativeException("sendmsg", errno);
                }
                sent += done;
                first = false;
            }
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    @Override
    public void shutdown(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(NativeCalls.CALL_STATE);
            int result = (int) SHUTDOWN.invokeExact(state, fd, SHUT_RDWR);
            check("shutdown", result, state);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    @Override
    public void close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(NativeCalls.CALL_STATE);
            int result = (int) CLOSE.invokeExact(state, fd);
            if (result < 0 && NativeCalls.errno(state) != EINTR) {
                throw new NativeException("close", NativeCalls.errno(state));
            }
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    /** CMSG_SPACE for {@code count} descriptors: header plus data, rounded up to 8 bytes. */
    private static long space(int count) {
        return (CMSG_HEADER + 4L * count + 7) & ~7L;
    }

    private static void check(String call, int result, MemorySegment state) {
        if (result < 0) {
            throw new NativeException(call, NativeCalls.errno(state));
        }
    }
}
