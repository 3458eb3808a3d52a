package dev.passthru.xen;

import dev.passthru.os.NativeCallFailed;
import dev.passthru.pci.PciAddress;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A stand-in for libxendevicemodel, libxenforeignmemory and libxenevtchn in unit tests of
 * {@link IoreqServer}: domain 1 with one vCPU, an ioreq page and a guest RAM in this process;
 * it refuses what Xen and the event channel driver refuse, with their errno (its contract,
 * {@link IoreqCallsContract}, runs on the real calls too), fails a chosen call when told, and
 * does what Xen does for a vCPU's access ({@link #access}): fill the vCPU's slot, signal the
 * server's port, and wait for the answer.
 */
final class FakeIoreqCalls implements IoreqCalls {

    static final int SERVER = 7;
    static final int REMOTE_PORT = 33;
    static final int LOCAL_PORT = 133;
    private static final int DOMAIN = 1;
    private static final int ESRCH = 3;
    private static final int ENOENT = 2;
    private static final int EBUSY = 16;
    private static final int EEXIST = 17;
    private static final int EINVAL = 22;
    private static final int ENOTCONN = 107;

    private record Range(long first, long last) {
        boolean overlaps(long from, long to) {
            return from <= last && first <= to;
        }

        boolean contains(long from, long to) {
            return from >= first && to <= last;
        }
    }

    private static final class Server {
        final Set<PciAddress> functions = new HashSet<>();
        final List<Range> ranges = new ArrayList<>();
        boolean enabled;
    }

    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    final MemorySegment page = Arena.ofShared().allocate(4096, 4096);
    final MemorySegment ram = Arena.ofShared().allocate(1 << 20, 4096);
    private final Map<Integer, Server> servers = new HashMap<>();
    private final Set<Integer> bound = new HashSet<>();
    private final BlockingQueue<Integer> signalled = new LinkedBlockingQueue<>();
    private final BlockingQueue<Integer> answered = new LinkedBlockingQueue<>();
    private int nextServer = SERVER;
    /** Threads that waited for events, and those of them whose process {@link #processDied}: they get none again. */
    private final Set<Thread> waiters = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Set<Thread> dead = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private String failing;
    private int remotePort = REMOTE_PORT;

    /** Makes the next call whose line in {@link #calls} starts with {@code prefix} fail with EBUSY. */
    synchronized void fail(String prefix) {
        failing = prefix;
    }

    /** Makes Xen write no vCPU port into the page when a server is turned on, as for a domain with no vCPU left. */
    synchronized void noVcpus() {
        remotePort = 0;
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

    /** An event on the server's port with no request in the vCPU's slot, as after a spurious wake-up. */
    void spuriousEvent() {
        signalled.add(LOCAL_PORT);
    }

    private synchronized void call(String line, String function, int domain) {
        calls.add(line);
        if (failing != null && line.startsWith(failing)) {
            failing = null;
            throw new NativeCallFailed(function, line, EBUSY);
        }
        refuse(domain != DOMAIN, function, line, ESRCH);
    }

    private static void refuse(boolean refused, String function, String line, int errno) {
        if (refused) {
            throw new NativeCallFailed(function, line, errno);
        }
    }

    private Server server(int id, String function, String line) {
        Server s = servers.get(id);
        refuse(s == null, function, line, ENOENT);
        return s;
    }

    @Override
    public synchronized int createServer(int domain) {
        call("create " + domain, "xendevicemodel_create_ioreq_server", domain);
        servers.put(nextServer, new Server());
        return nextServer++;
    }

    @Override
    public synchronized void checkServer(int domain, int server) {
        String line = "check " + server;
        call(line, "xendevicemodel_set_ioreq_server_state", domain);
        server(server, "xendevicemodel_set_ioreq_server_state", line);
    }

    /**
     * The device model's process died: its event channel ports and mappings went with it, and the
     * server, its page and what is routed to it stay in Xen.
     */
    synchronized void processDied() {
        bound.clear();
        signalled.clear();
        dead.addAll(waiters);
    }

    /**
     * A vCPU's access left waiting in its slot, as when the device model died before answering;
     * {@link #awaitAnswer} then waits for a server to answer it.
     */
    void leaveWaiting(int type, long address, int size, long data, boolean read) {
        page.set(JAVA_LONG, 0, address);
        page.set(JAVA_LONG, 8, data);
        page.set(JAVA_INT, 16, 1);
        page.set(JAVA_INT, 20, size);
        page.set(JAVA_BYTE, 31, (byte) type);
        page.set(JAVA_BYTE, 30, (byte) (1 | (read ? 0x20 : 0)));
    }

    /** The data of the answer to the access left waiting, once a server answered it. */
    long awaitAnswer() throws InterruptedException {
        Integer port = answered.poll(10, TimeUnit.SECONDS);
        if (port == null || (page.get(JAVA_BYTE, 30) & 0xf) != 3) {
            throw new AssertionError("the waiting access was not answered");
        }
        page.set(JAVA_BYTE, 30, (byte) 0);
        return page.get(JAVA_LONG, 8);
    }

    @Override
    public synchronized MemorySegment mapIoreqPage(int domain, int server) {
        String line = "map page " + server;
        call(line, "xenforeignmemory_map_resource", domain);
        server(server, "xenforeignmemory_map_resource", line);
        return page;
    }

    @Override
    public synchronized void unmapIoreqPage(int domain, int server) {
        call("unmap page " + server, "xenforeignmemory_unmap_resource", domain);
    }

    @Override
    public synchronized void mapPciFunction(int domain, int server, PciAddress guest, boolean map) {
        String line = (map ? "claim " : "release ") + guest;
        String function = map ? "xendevicemodel_map_pcidev_to_ioreq_server" : "xendevicemodel_unmap_pcidev_from_ioreq_server";
        call(line, function, domain);
        Server s = server(server, function, line);
        if (map) {
            refuse(!s.functions.add(guest), function, line, EEXIST);
        } else {
            refuse(!s.functions.remove(guest), function, line, ENOENT);
        }
    }

    @Override
    public synchronized void mapMmioRange(int domain, int server, long first, long last, boolean map) {
        String line = String.format("%s 0x%x-0x%x", map ? "claim" : "release", first, last);
        String function = map ? "xendevicemodel_map_io_range_to_ioreq_server" : "xendevicemodel_unmap_io_range_from_ioreq_server";
        call(line, function, domain);
        Server s = server(server, function, line);
        refuse(first > last, function, line, EINVAL);
        if (map) {
            refuse(s.ranges.stream().anyMatch(r -> r.overlaps(first, last)), function, line, EEXIST);
            s.ranges.add(new Range(first, last));
            return;
        }
        Range holder = s.ranges.stream().filter(r -> r.contains(first, last)).findFirst().orElse(null);
        refuse(holder == null, function, line, ENOENT);
        s.ranges.remove(holder);
        if (holder.first() < first) {
            s.ranges.add(new Range(holder.first(), first - 1));
        }
        if (last < holder.last()) {
            s.ranges.add(new Range(last + 1, holder.last()));
        }
    }

    @Override
    public synchronized void setServerState(int domain, int server, boolean enabled) {
        String line = enabled ? "on" : "off";
        call(line, "xendevicemodel_set_ioreq_server_state", domain);
        server(server, "xendevicemodel_set_ioreq_server_state", line).enabled = enabled;
        if (enabled) {
            page.set(JAVA_INT, 24, remotePort);
        }
    }

    @Override
    public MemorySegment mapGuestFrames(int domain, long gfn, int pages) {
        String line = String.format("map gfn 0x%x x%d", gfn, pages);
        call(line, "xenforeignmemory_map", domain);
        // The stand-in has only its RAM to give: past it, it refuses, where real Xen maps without an
        // error; the server must cope with either (a refused map copies nothing).
        refuse(pages < 1 || (gfn + pages) * 4096 > ram.byteSize(), "xenforeignmemory_map", line, EINVAL);
        return ram.asSlice(gfn * 4096, pages * 4096L);
    }

    @Override
    public void unmapGuestFrames(MemorySegment mapping, int pages) {
        call("unmap guest x" + pages, "xenforeignmemory_unmap", DOMAIN);
    }

    @Override
    public synchronized void destroyServer(int domain, int server) {
        String line = "destroy " + server;
        call(line, "xendevicemodel_destroy_ioreq_server", domain);
        server(server, "xendevicemodel_destroy_ioreq_server", line);
        servers.remove(server);
    }

    /**
     * The server's vCPU port is the one Xen names in the page of a server turned on; it is bound
     * once, and bound with an event pending (Xen sets one in case the remote side's were lost).
     */
    @Override
    public synchronized int bindPort(int domain, int remotePort) {
        String line = "bind " + remotePort;
        call(line, "xenevtchn_bind_interdomain", domain);
        boolean named = remotePort == REMOTE_PORT && servers.values().stream().anyMatch(s -> s.enabled);
        refuse(!named || !bound.add(LOCAL_PORT), "xenevtchn_bind_interdomain", line, EINVAL);
        signalled.add(LOCAL_PORT);
        return LOCAL_PORT;
    }

    @Override
    public synchronized void unbindPort(int port) {
        String line = "unbind " + port;
        call(line, "xenevtchn_unbind", DOMAIN);
        refuse(!bound.remove(port), "xenevtchn_unbind", line, ENOTCONN);
    }

    @Override
    public int pending(int timeoutMillis) {
        try {
            if (dead.contains(Thread.currentThread())) {
                Thread.sleep(timeoutMillis);
                return -1;
            }
            waiters.add(Thread.currentThread());
            Integer port = signalled.poll(timeoutMillis, TimeUnit.MILLISECONDS);
            if (port != null && dead.contains(Thread.currentThread())) {
                // its process died while it waited: the event is the next server's
                signalled.add(port);
                return -1;
            }
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
