package dev.passthru.os;

import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@link UnixSockets} in memory, for unit tests: socket pairs are two queues of bytes. It keeps
 * what UnixSocketsContract holds the C library to: a descriptor passed along arrives as a new
 * number for the same socket (the sender keeps its own); a socket is closed once no descriptor
 * refers to it, in this process or in a message on its way; its peer then reads end of stream
 * and a send to it fails with EPIPE; failures are {@link NativeCallFailed}s with
 * errno (EBADF for a descriptor that is not open). Nothing listens on a path here, so
 * {@link #connect} fails as it does for a path nobody listens on. One thread at a time; a
 * receive on an empty socket whose peer is open is a test error, not a wait.
 */
public final class FakeUnixSockets implements UnixSockets {

    private static final int EACCES = 13;
    private static final int ENOENT = 2;
    private static final int EBADF = 9;
    private static final int EPIPE = 32;
    private static final int ENOTSOCK = 88;

    private record Chunk(byte[] bytes, End[] passed) {
    }

    /** One socket of a pair, or (without a peer) a descriptor with nothing behind it. */
    private static final class End {
        final ArrayDeque<Chunk> inbox = new ArrayDeque<>();
        End peer;
        /** Descriptors referring to it, in this process and in messages not yet received. */
        int references = 1;
        boolean shut;

        boolean closed() {
            return references == 0;
        }
    }

    private final Map<Integer, End> open = new HashMap<>();
    /** Every descriptor handed out, closed or not, for {@link #pending}. */
    private final Map<Integer, End> handedOut = new HashMap<>();
    private final Set<Integer> closed = new HashSet<>();
    private final List<Integer> received = new ArrayList<>();
    private int next = 100;

    private int descriptor(End end) {
        int fd = next++;
        open.put(fd, end);
        handedOut.put(fd, end);
        return fd;
    }

    private End end(int fd, String call) {
        End end = open.get(fd);
        if (end == null) {
            throw new NativeCallFailed(call, "fd " + fd, EBADF);
        }
        return end;
    }

    @Override
    public int[] socketPair() {
        End a = new End();
        End b = new End();
        a.peer = b;
        b.peer = a;
        return new int[] {descriptor(a), descriptor(b)};
    }

    /** A descriptor with nothing behind it, to pass along. */
    public int descriptor() {
        return descriptor(new End());
    }

    @Override
    public int connect(String path) {
        throw new NativeCallFailed("connect", path, ENOENT);
    }

    /** The fake has no file system to put a socket in: what listens is tested on real sockets. */
    @Override
    public int listen(String path) {
        throw new NativeCallFailed("bind", path, EACCES);
    }

    @Override
    public int accept(int listener) {
        throw new NativeCallFailed("accept", "fd " + listener, EBADF);
    }

    @Override
    public Received receive(int fd, byte[] into, int offset, int length) {
        End end = end(fd, "recvmsg");
        if (end.peer == null) {
            throw new NativeCallFailed("recvmsg", "fd " + fd, ENOTSOCK);
        }
        Chunk chunk = end.shut ? null : end.inbox.poll();
        if (chunk == null) {
            if (!end.shut && !end.peer.shut && !end.peer.closed()) {
                throw new IllegalStateException("receive on fd " + fd + " with nothing sent and the peer open");
            }
            return new Received(0, new int[0]);
        }
        int n = Math.min(length, chunk.bytes.length);
        System.arraycopy(chunk.bytes, 0, into, offset, n);
        if (n < chunk.bytes.length) {
            end.inbox.addFirst(new Chunk(Arrays.copyOfRange(chunk.bytes, n, chunk.bytes.length), new End[0]));
        }
        int[] fds = new int[chunk.passed.length];
        for (int i = 0; i < fds.length; i++) {
            fds[i] = descriptor(chunk.passed[i]);
            received.add(fds[i]);
        }
        return new Received(n, fds);
    }

    @Override
    public void send(int fd, byte[] data, int length, int... fds) {
        End end = end(fd, "sendmsg");
        if (end.peer == null) {
            throw new NativeCallFailed("sendmsg", "fd " + fd, ENOTSOCK);
        }
        if (end.shut || end.peer.shut || end.peer.closed()) {
            throw new NativeCallFailed("sendmsg", "fd " + fd, EPIPE);
        }
        End[] passed = new End[fds.length];
        for (int i = 0; i < fds.length; i++) {
            passed[i] = end(fds[i], "sendmsg");
        }
        for (End p : passed) {
            p.references++;
        }
        end.peer.inbox.add(new Chunk(Arrays.copyOf(data, length), passed));
    }

    @Override
    public void shutdown(int fd) {
        end(fd, "shutdown").shut = true;
    }

    @Override
    public void close(int fd) {
        End end = end(fd, "close");
        open.remove(fd);
        end.references--;
        closed.add(fd);
    }

    public boolean isClosed(int fd) {
        return closed.contains(fd);
    }

    /** Every descriptor a receive has handed out, in order. */
    public List<Integer> received() {
        return List.copyOf(received);
    }

    /** Bytes waiting to be received on {@code fd}, closed or not. */
    public byte[] pending(int fd) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        handedOut.get(fd).inbox.forEach(c -> out.writeBytes(c.bytes));
        return out.toByteArray();
    }
}
