package dev.passthru.xen;

import dev.passthru.pci.PciAddress;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A stand-in for libxendevicemodel, libxenforeignmemory and libxenevtchn in unit tests of
 * {@link IoreqServer}: one vCPU, an ioreq page and a guest RAM in this process, and what Xen
 * would do for a vCPU's access ({@link #access}): fill the vCPU's slot, signal the server's
 * port, and wait for the answer.
 */
final class FakeIoreqCalls implements IoreqCalls {

    static final int SERVER = 7;
    private static final int REMOTE_PORT = 33;
    private static final int LOCAL_PORT = 133;

    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    final MemorySegment page = Arena.ofShared().allocate(4096, 4096);
    final MemorySegment ram = Arena.ofShared().allocate(1 << 20, 4096);
    private final BlockingQueue<Integer> signalled = new LinkedBlockingQueue<>();
    private final BlockingQueue<Integer> answered = new LinkedBlockingQueue<>();

    FakeIoreqCalls() {
        page.set(JAVA_INT, 24, REMOTE_PORT);
    }

    /** What a vCPU's access does at Xen: the answer's data (for a read), after the server answered. */
    long access(int type, long address, int size, long data, int count, boolean read, boolean pointer, boolean down)
            throws InterruptedException {
        page.set(JAVA_LONG, 0, address);
        page.set(JAVA_LONG, 8, data);
        page.set(JAVA_INT, 16, count);
        page.set(JAVA_INT, 20, size);
        page.set(JAVA_BYTE, 31, (byte) type);
        page.set(JAVA_BYTE, 30, (byte) (1 | (pointer ? 0x10 : 0) | (read ? 0x20 : 0) | (down ? 0x40 : 0)));
        signalled.add(LOCAL_PORT);
        Integer port = answered.poll(10, TimeUnit.SECONDS);
        if (port == null || (page.get(JAVA_BYTE, 30) & 0xf) != 3) {
            throw new AssertionError("the server did not answer");
        }
        page.set(JAVA_BYTE, 30, (byte) 0);
        return page.get(JAVA_LONG, 8);
    }

    @Override
    public int createServer(int domain) {
        calls.add("create " + domain);
        return SERVER;
    }

    @Override
    public MemorySegment mapIoreqPage(int domain, int server) {
        calls.add("map page " + server);
        return page;
    }

    @Override
    public void unmapIoreqPage(int domain, int server) {
        calls.add("unmap page " + server);
    }

    @Override
    public void mapPciFunction(int domain, int server, PciAddress guest, boolean map) {
        calls.add((map ? "claim " : "release ") + guest);
    }

    @Override
    public void mapMmioRange(int domain, int server, long first, long last, boolean map) {
        calls.add(String.format("%s 0x%x-0x%x", map ? "claim" : "release", first, last));
    }

    @Override
    public void setServerState(int domain, int server, boolean enabled) {
        calls.add(enabled ? "on" : "off");
    }

    @Override
    public MemorySegment mapGuestFrames(int domain, long gfn, int pages) {
        calls.add(String.format("map gfn 0x%x x%d", gfn, pages));
        return ram.asSlice(gfn * 4096, pages * 4096L);
    }

    @Override
    public void unmapGuestFrames(MemorySegment mapping, int pages) {
        calls.add("unmap guest x" + pages);
    }

    @Override
    public void destroyServer(int domain, int server) {
        calls.add("destroy " + server);
    }

    @Override
    public int bindPort(int domain, int remotePort) {
        calls.add("bind " + remotePort);
        return LOCAL_PORT;
    }

    @Override
    public void unbindPort(int port) {
        calls.add("unbind " + port);
    }

    @Override
    public int pending(int timeoutMillis) {
        try {
            Integer port = signalled.poll(timeoutMillis, TimeUnit.MILLISECONDS);
            return port == null ? -1 : port;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Override
    public void unmask(int port) {
    }

    @Override
    public void notify(int port) {
        answered.add(port);
    }

    @Override
    public void close() {
    }
}
