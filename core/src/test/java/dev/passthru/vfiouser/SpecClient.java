package dev.passthru.vfiouser;

import dev.passthru.os.UnixSockets;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A vfio-user client for the tests, written from QEMU's docs/interop/vfio-user.rst and not
 * from the server's classes: it lays out every header and payload byte by byte as the spec's
 * tables give them (little-endian), so that what the server gets wrong shows here.
 */
final class SpecClient implements AutoCloseable {

    static final int VERSION = 1;
    static final int DMA_MAP = 2;
    static final int DMA_UNMAP = 3;
    static final int DEVICE_GET_INFO = 4;
    static final int DEVICE_GET_REGION_INFO = 5;
    static final int DEVICE_GET_REGION_IO_FDS = 6;
    static final int DEVICE_GET_IRQ_INFO = 7;
    static final int DEVICE_SET_IRQS = 8;
    static final int REGION_READ = 9;
    static final int REGION_WRITE = 10;
    static final int DMA_READ = 11;
    static final int DMA_WRITE = 12;
    static final int DEVICE_RESET = 13;
    static final int REGION_WRITE_MULTI = 15;
    static final int DEVICE_FEATURE = 16;

    /** A message as it came: header fields, payload, descriptors. */
    record Reply(int id, int command, int flags, int error, byte[] payload, int[] fds) {
        boolean isError() {
            return (flags & 0x20) != 0;
        }

        boolean isReply() {
            return (flags & 0xf) == 1;
        }

        ByteBuffer body() {
            return ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    final UnixSockets sockets;
    final int fd;
    private int nextId = 1;
    /** Commands the server sent in between (DMA_READ/WRITE), to be answered by the test. */
    final List<Reply> fromServer = new ArrayList<>();

    SpecClient(UnixSockets sockets, String path) {
        this.sockets = sockets;
        this.fd = sockets.connect(path);
    }

    static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Sends raw header fields and payload: for messages that break the rules too. */
    void sendRaw(int id, int command, int size, int flags, byte[] payload, int... fds) {
        ByteBuffer m = le(16 + payload.length);
        m.putShort((short) id).putShort((short) command).putInt(size).putInt(flags).putInt(0).put(payload);
        sockets.send(fd, m.array(), m.capacity(), fds);
    }

    int send(int command, byte[] payload, int... fds) {
        int id = nextId++ & 0xffff;
        sendRaw(id, command, 16 + payload.length, 0, payload, fds);
        return id;
    }

    /** Sends a command and reads messages until its reply; server commands met on the way are kept in {@link #fromServer}. */
    Reply call(int command, byte[] payload, int... fds) {
        int id = send(command, payload, fds);
        while (true) {
            Reply r = read(fd);
            if (r.isReply() && r.id() == id) {
                return r;
            }
            fromServer.add(r);
        }
    }

    Reply read(int from) {
        byte[] header = readFully(from, 16, true);
        ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        int size = h.getInt(4);
        List<Integer> fds = new ArrayList<>();
        for (int passed : pendingFds) {
            fds.add(passed);
        }
        pendingFds.clear();
        byte[] payload = readFully(from, size - 16, false);
        return new Reply(h.getShort(0) & 0xffff, h.getShort(2) & 0xffff, h.getInt(8), h.getInt(12), payload,
                fds.stream().mapToInt(Integer::intValue).toArray());
    }

    private final List<Integer> pendingFds = new ArrayList<>();

    private byte[] readFully(int from, int length, boolean header) {
        byte[] into = new byte[length];
        int at = 0;
        while (at < length) {
            UnixSockets.Received got = sockets.receive(from, into, at, length - at);
            if (got.bytes() == 0) {
                throw new IllegalStateException("the server closed the connection");
            }
            for (int passed : got.fds()) {
                pendingFds.add(passed);
            }
            at += got.bytes();
        }
        return into;
    }

    /** VERSION with major 0, minor 1 and this JSON (null: no version data). */
    Reply version(String json) {
        byte[] data = json == null ? new byte[0] : (json + "\0").getBytes(StandardCharsets.UTF_8);
        return call(VERSION, le(4 + data.length).putShort((short) 0).putShort((short) 1).put(data).array());
    }

    static String versionJson(Reply r) {
        byte[] p = r.payload();
        int end = 4;
        while (end < p.length && p[end] != 0) {
            end++;
        }
        return new String(p, 4, end - 4, StandardCharsets.UTF_8);
    }

    Reply deviceInfo(int argsz) {
        return call(DEVICE_GET_INFO, le(16).putInt(argsz).array());
    }

    Reply regionInfo(int index, int argsz) {
        return call(DEVICE_GET_REGION_INFO, le(32).putInt(argsz).putInt(0).putInt(index).array());
    }

    Reply irqInfo(int index) {
        return call(DEVICE_GET_IRQ_INFO, le(16).putInt(16).putInt(0).putInt(index).array());
    }

    Reply setIrqs(int flags, int index, int start, int count, byte[] data, int... fds) {
        return call(DEVICE_SET_IRQS, le(20 + data.length).putInt(20 + data.length).putInt(flags).putInt(index)
                .putInt(start).putInt(count).put(data).array(), fds);
    }

    Reply regionRead(int region, long offset, int count) {
        return call(REGION_READ, le(16).putLong(offset).putInt(region).putInt(count).array());
    }

    /** A region read of at most 8 bytes, as a number; throws where the server refused it. */
    long read(int region, long offset, int count) {
        Reply r = regionRead(region, offset, count);
        if (r.isError()) {
            throw new IllegalStateException("REGION_READ refused, errno " + r.error());
        }
        byte[] data = Arrays.copyOfRange(r.payload(), 16, 16 + count);
        long value = 0;
        for (int i = count - 1; i >= 0; i--) {
            value = value << 8 | (data[i] & 0xffL);
        }
        return value;
    }

    Reply regionWrite(int region, long offset, byte[] data) {
        return call(REGION_WRITE, le(16 + data.length).putLong(offset).putInt(region).putInt(data.length).put(data).array());
    }

    void write(int region, long offset, int count, long value) {
        byte[] data = new byte[count];
        for (int i = 0; i < count; i++) {
            data[i] = (byte) (value >>> (8 * i));
        }
        Reply r = regionWrite(region, offset, data);
        if (r.isError()) {
            throw new IllegalStateException("REGION_WRITE refused, errno " + r.error());
        }
    }

    Reply dmaMap(int flags, long offset, long address, long size, int... fds) {
        return call(DMA_MAP, le(32).putInt(32).putInt(flags).putLong(offset).putLong(address).putLong(size).array(), fds);
    }

    Reply dmaUnmap(long address, long size) {
        return call(DMA_UNMAP, le(24).putInt(24).putInt(0).putLong(address).putLong(size).array());
    }

    /** Answers a DMA_READ or DMA_WRITE the server sent, from and into {@code memory} that lies at DMA address {@code base}. */
    void answer(int over, Reply command, long base, byte[] memory) {
        ByteBuffer b = command.body();
        long address = b.getLong();
        long count = b.getLong();
        int at = (int) (address - base);
        ByteBuffer reply;
        if (command.command() == DMA_READ) {
            reply = le(16 + (int) count).putLong(address).putLong(count).put(memory, at, (int) count);
        } else {
            b.get(memory, at, (int) count);
            reply = le(16).putLong(address).putLong(count);
        }
        ByteBuffer m = le(16 + reply.capacity());
        m.putShort((short) command.id()).putShort((short) command.command()).putInt(m.capacity()).putInt(1).putInt(0)
                .put(reply.array());
        sockets.send(over, m.array(), m.capacity());
    }

    @Override
    public void close() {
        sockets.close(fd);
    }
}
