package dev.passthru.qemu;

import dev.passthru.os.UnixSockets;

import java.util.function.IntConsumer;

/**
 * The QEMU side of the multi-process link, as far as benchmarks and tests need it: sends config
 * and BAR accesses to a remote over a connected socket and waits for each reply, as QEMU's
 * {@code x-pci-proxy-dev} does. One {@link ProxyMessage} for what it sends and one for the
 * reply, kept for the client's life: a round trip allocates nothing. Not for serving guests.
 */
public final class ProxyClient {

    private final UnixSockets sockets;
    private final int fd;
    private final ProxyMessage message = new ProxyMessage(ProxyMessage.HEADER + ProxyMessage.BAR_DATA);
    private final ProxyMessage reply = new ProxyMessage(ProxyMessage.HEADER + ProxyMessage.RET_DATA);
    /** A reply brings no descriptors; one that did would be closed. */
    private final IntConsumer closePassed;

    public ProxyClient(UnixSockets sockets, int fd) {
        this.sockets = sockets;
        this.fd = fd;
        this.closePassed = sockets::close;
    }

    public long configRead(int offset, int width) {
        return call(message.config(ProxyMessage.PCI_CFGREAD, offset, 0, width));
    }

    public void configWrite(int offset, int width, int value) {
        call(message.config(ProxyMessage.PCI_CFGWRITE, offset, value, width));
    }

    public long barRead(long address, int width, boolean memory) {
        return call(message.bar(ProxyMessage.BAR_READ, address, 0, width, memory));
    }

    public void barWrite(long address, int width, long value, boolean memory) {
        call(message.bar(ProxyMessage.BAR_WRITE, address, value, width, memory));
    }

    /** Sends raw bytes as they are, for tests of malformed messages. */
    public void sendRaw(byte[] bytes) {
        sockets.send(fd, bytes, bytes.length, UnixSockets.NO_FDS);
    }

    private long call(ProxyMessage request) {
        sockets.send(fd, request.bytes(), request.length(), UnixSockets.NO_FDS);
        byte[] into = reply.bytes();
        int got = 0;
        while (got < into.length) {
            int bytes = sockets.receive(fd, into, got, into.length - got, closePassed);
            if (bytes == 0) {
                throw new IllegalStateException("the remote closed the connection");
            }
            got += bytes;
        }
        if (reply.cmd() != ProxyMessage.RET || reply.size() != ProxyMessage.RET_DATA) {
            throw new IllegalStateException("the remote answered with command " + reply.cmd() + ", size " + reply.size());
        }
        return reply.retValue();
    }
}
