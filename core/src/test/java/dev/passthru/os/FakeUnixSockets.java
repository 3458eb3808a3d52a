package dev.passthru.os;

import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * {@link UnixSockets} in memory, for unit tests: socket pairs are two queues of bytes, and
 * descriptors passed along are numbers that the fake hands out and records the closing of.
 * One thread at a time; a receive on an empty, open socket is a test error, not a wait.
 */
public final class FakeUnixSockets implements UnixSockets {

    private record Chunk(byte[] bytes, int[] fds) {
    }

    private final Map<Integer, ArrayDeque<Chunk>> inbox = new HashMap<>();
    private final Map<Integer, Integer> peer = new HashMap<>();
    private final Set<Integer> open = new HashSet<>();
    private final Set<Integer> closed = new HashSet<>();
    private int next = 100;

    @Override
    public int[] socketPair() {
        int a = next++;
        int b = next++;
        inbox.put(a, new ArrayDeque<>());
        inbox.put(b, new ArrayDeque<>());
        peer.put(a, b);
        peer.put(b, a);
        open.add(a);
        open.add(b);
        return new int[] {a, b};
    }

    /** A descriptor with nothing behind it, to pass along. */
    public int descriptor() {
        int fd = next++;
        open.add(fd);
        return fd;
    }

    @Override
    public int connect(String path) {
        throw new UnsupportedOperationException("the fake has no listening sockets");
    }

    @Override
    public Received receive(int fd, byte[] into, int offset, int length) {
        ArrayDeque<Chunk> queue = inbox.get(fd);
        Chunk chunk = queue.poll();
        if (chunk == null) {
            if (open.contains(peer.get(fd))) {
                throw new IllegalStateException("receive on fd " + fd + " with nothing sent and the peer open");
            }
            return new Received(0, new int[0]);
        }
        int n = Math.min(length, chunk.bytes.length);
        System.arraycopy(chunk.bytes, 0, into, offset, n);
        if (n < chunk.bytes.length) {
            queue.addFirst(new Chunk(Arrays.copyOfRange(chunk.bytes, n, chunk.bytes.length), new int[0]));
        }
        return new Received(n, chunk.fds);
    }

    @Override
    public void send(int fd, byte[] data, int length, int... fds) {
        inbox.get(peer.get(fd)).add(new Chunk(Arrays.copyOf(data, length), fds.clone()));
    }

    @Override
    public void shutdown(int fd) {
        open.remove(fd);
    }

    @Override
    public void close(int fd) {
        if (!open.remove(fd)) {
            throw new IllegalStateException("fd " + fd + " closed twice or never opened");
        }
        closed.add(fd);
    }

    public boolean isClosed(int fd) {
        return closed.contains(fd);
    }

    /** Bytes waiting to be received on {@code fd}. */
    public byte[] pending(int fd) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        inbox.get(fd).forEach(c -> out.writeBytes(c.bytes));
        return out.toByteArray();
    }
}
