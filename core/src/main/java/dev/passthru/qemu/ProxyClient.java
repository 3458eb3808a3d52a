package dev.passthru.qemu;

import dev.passthru.os.UnixSockets;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The QEMU side of the multi-process link, as far as benchmarks and tests need it: sends config
 * and BAR accesses to a remote over a connected socket and waits for each reply, as QEMU's
 * {@code x-pci-proxy-dev} does. Not for serving guests.
 */
public final class ProxyClient {

    private final UnixSockets sockets;
    private final int fd;
    private final byte[] message = new byte[ProxyConnection.HEADER + ProxyConnection.BAR_DATA];
    private final byte[] reply = new byte[ProxyConnection.HEADER + 8];
    private final ByteBuffer out = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer in = ByteBuffer.wrap(reply).order(ByteOrder.LITTLE_ENDIAN);

    public ProxyClient(UnixSockets sockets, int fd) {
        this.sockets = sockets;
        this.fd = fd;
    }

    public long configRead(int offset, int width) {
        header(ProxyConnection.PCI_CFGREAD, ProxyConnection.CONFIG_DATA);
        out.putInt(16, offset).putInt(20, 0).putInt(24, width);
        return call(ProxyConnection.HEADER + ProxyConnection.CONFIG_DATA);
    }

    public void configWrite(int offset, int width, int value) {
        header(ProxyConnection.PCI_CFGWRITE, ProxyConnection.CONFIG_DATA);
        out.putInt(16, offset).putInt(20, value).putInt(24, width);
        call(ProxyConnection.HEADER + ProxyConnection.CONFIG_DATA);
    }

    public long barRead(long address, int width, boolean memory) {
        header(ProxyConnection.BAR_READ, ProxyConnection.BAR_DATA);
        out.putLong(16, address).putLong(24, 0).putInt(32, width).putInt(36, memory ? 1 : 0);
        return call(ProxyConnection.HEADER + ProxyConnection.BAR_DATA);
    }

    public void barWrite(long address, int width, long value, boolean memory) {
        header(ProxyConnection.BAR_WRITE, ProxyConnection.BAR_DATA);
        out.putLong(16, address).putLong(24, value).putInt(32, width).putInt(36, memory ? 1 : 0);
        call(ProxyConnection.HEADER + ProxyConnection.BAR_DATA);
    }

    /** Sends raw bytes as they are, for tests of malformed messages. */
    public void sendRaw(byte[] bytes) {
        sockets.send(fd, bytes, bytes.length);
    }

    private void header(int cmd, int size) {
        out.putInt(0, cmd).putInt(4, 0).putLong(8, size);
    }

    private long call(int length) {
        sockets.send(fd, message, length);
        int got = 0;
        while (got < reply.length) {
            UnixSockets.Received r = sockets.receive(fd, reply, got, reply.length - got);
            if (r.bytes() == 0) {
                throw new IllegalStateException("the remote closed the connection");
            }
            got += r.bytes();
        }
        if (in.getInt(0) != ProxyConnection.RET || in.getLong(8) != 8) {
            throw new IllegalStateException("the remote answered with command " + in.getInt(0) + ", size " + in.getLong(8));
        }
        return in.getLong(ProxyConnection.HEADER);
    }
}
