package dev.passthru.xen;

import dev.passthru.config.ConfigChanges;
import dev.passthru.device.GuestRange;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.log.RateLimitedLog;
import dev.passthru.os.NativeCallFailed;
import org.jspecify.annotations.Nullable;

import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * passthru as a Xen device model for one domain: an ioreq server that claims the config space
 * of each function it serves and the parts of their BARs that must be trapped (the pages of the
 * MSI-X table and PBA, BARs smaller than a page, a ROM served from a copy) while the guest
 * decodes them, and answers what the guest's vCPUs send it. The rest of the BARs is mapped by the
 * hypervisor port: the guest reaches it without passing through here. String accesses (rep movs
 * to or from a trapped range, as Linux's memcpy_fromio makes) carry their data in guest memory,
 * which is mapped for the access.
 *
 * <p>One thread waits on the event channels and answers in order; a guest's access never
 * raises here: what cannot be answered reads all-ones and is logged, rate-limited.
 */
public final class IoreqServer implements AutoCloseable {

    private static final RateLimitedLog LOG = RateLimitedLog.of(IoreqServer.class.getName());
    private static final int MAX_VCPUS = 4096 / Ioreq.SLOT;
    private static final int POLL_MILLIS = 100;
    private static final int EEXIST = 17;
    private static final long PAGE = 4096;
    /** A string access spans at most this many guest pages (Xen splits reps at page boundaries). */
    private static final int MAX_STRING_PAGES = 2;
    /** Config changes after which the trapped ranges may have moved. */
    private static final int PLACEMENT = ConfigChanges.ALL_BARS | ConfigChanges.ROM | ConfigChanges.DECODE | ConfigChanges.RESET;

    private static final class Served {
        final PassthroughDevice device;
        final Set<GuestRange> claimed = new LinkedHashSet<>();
        final AtomicLong config = new AtomicLong();
        final AtomicLong mmio = new AtomicLong();

        Served(PassthroughDevice device) {
            this.device = device;
        }
    }

    private final IoreqCalls calls;
    private final int domain;
    private final int server;
    private final MemorySegment page;
    private final Map<Integer, Integer> vcpuByPort = new HashMap<>();
    private final Map<Integer, Served> functions = new ConcurrentHashMap<>();
    private final AtomicLong configAccesses = new AtomicLong();
    private final AtomicLong mmioAccesses = new AtomicLong();
    /** Routes found in Xen already (taken over) and routes made again, for a server taken over. */
    private final AtomicLong routesFound = new AtomicLong();
    private final AtomicLong routesMade = new AtomicLong();
    private final boolean takenOver;
    private volatile Consumer<PassthroughDevice> changed = device -> {
    };
    private @Nullable Thread loop;
    private final AtomicInteger leftAnswered = new AtomicInteger();
    private volatile boolean running = true;
    private boolean closed;

    private IoreqServer(IoreqCalls calls, int domain, int server, MemorySegment page, boolean takenOver) {
        this.calls = calls;
        this.domain = domain;
        this.server = server;
        this.page = page;
        this.takenOver = takenOver;
        // Xen writes each vCPU's port into the page when the server is turned on (a server taken
        // over is on already: its ports are in the page).
        if (!takenOver) {
            calls.setServerState(domain, server, true);
        }
        try {
            for (int vcpu = 0; vcpu < MAX_VCPUS && Ioreq.remotePort(page, vcpu) != 0; vcpu++) {
                vcpuByPort.put(calls.bindPort(domain, Ioreq.remotePort(page, vcpu)), vcpu);
            }
            if (vcpuByPort.isEmpty()) {
                throw new NativeCallFailed("set_ioreq_server_state", "domain " + domain + ", ioreq server " + server
                        + ": no vCPU event channel in the ioreq page", 22);
            }
        } catch (RuntimeException e) {
            vcpuByPort.keySet().forEach(port -> undo(e, () -> calls.unbindPort(port)));
            if (!takenOver) {
                undo(e, () -> calls.setServerState(domain, server, false));
            }
            throw e;
        }
    }

    /**
     * Creates the domain's server, maps its ioreq page, binds every vCPU's event channel and
     * turns it on. If a step fails, the steps before it are undone.
     */
    public static IoreqServer start(IoreqCalls calls, int domain) {
        int server = calls.createServer(domain);
        try {
            MemorySegment page = calls.mapIoreqPage(domain, server);
            try {
                IoreqServer started = new IoreqServer(calls, domain, server, page, false);
                started.begin();
                return started;
            } catch (RuntimeException e) {
                undo(e, () -> calls.unmapIoreqPage(domain, server));
                throw e;
            }
        } catch (RuntimeException e) {
            undo(e, () -> calls.destroyServer(domain, server));
            throw e;
        }
    }

    /**
     * Takes over the domain's server {@code server}, which an earlier device model made and
     * which outlived it in Xen, with its page and the functions and ranges routed to it: checks
     * it is there, maps its page again and binds each vCPU's event channel again (the guest's
     * ends went back to unbound when the earlier process's ends closed). It does not answer yet:
     * {@link #serve} the functions first (their routes are found in Xen), then {@link #begin}.
     * If a step fails, the steps before it are undone; the server is left in Xen.
     */
    public static IoreqServer takeOver(IoreqCalls calls, int domain, int server) {
        calls.checkServer(domain, server);
        MemorySegment page = calls.mapIoreqPage(domain, server);
        try {
            return new IoreqServer(calls, domain, server, page, true);
        } catch (RuntimeException e) {
            undo(e, () -> calls.unmapIoreqPage(domain, server));
            throw e;
        }
    }

    /**
     * Starts answering: first each request a vCPU left waiting while no device model answered
     * (the guest's vCPU is stopped until it is answered), then events as they come.
     */
    public synchronized void begin() {
        if (loop == null && !closed) {
            loop = Thread.ofPlatform().name("ioreq-d" + domain).daemon().start(this::serveLoop);
        }
    }

    /** Called on the serving thread after a guest access changed what a function shows it (its {@link PassthroughDevice#image}). */
    public void onChange(Consumer<PassthroughDevice> listener) {
        changed = listener;
    }

    /** Of a server taken over: its routes found in Xen as they were, and those made again. */
    public record TakeOver(long routesFound, long routesMade, int leftAnswered) {
    }

    public TakeOver takeOverCounts() {
        return new TakeOver(routesFound.get(), routesMade.get(), leftAnswered.get());
    }

    public int id() {
        return server;
    }

    /** vCPUs whose event channels are bound. */
    public int vcpus() {
        return vcpuByPort.size();
    }

    /** Routes the function's config space (at its guest address) and its trapped pages here. */
    public void serve(PassthroughDevice device) {
        int sbdf = XenSbdf.of(device.guestAddress());
        Served served = new Served(device);
        route(() -> calls.mapPciFunction(domain, server, device.guestAddress(), true));
        functions.put(sbdf, served);
        follow(served);
    }

    /** Stops routing the function here: its trapped pages, then its config space. */
    public void release(PassthroughDevice device) {
        Served served = functions.remove(XenSbdf.of(device.guestAddress()));
        if (served == null) {
            return;
        }
        synchronized (served) {
            for (GuestRange range : List.copyOf(served.claimed)) {
                calls.mapMmioRange(domain, server, range.first(), range.last(), false);
                served.claimed.remove(range);
            }
        }
        calls.mapPciFunction(domain, server, device.guestAddress(), false);
    }

    public long configAccesses() {
        return configAccesses.get();
    }

    /** How many config and MMIO ioreqs were answered for one function. */
    public record Answered(long config, long mmio) {
    }

    /** The ioreqs answered for a function served now (none for one not served). */
    public Answered answered(PassthroughDevice device) {
        Served served = functions.get(XenSbdf.of(device.guestAddress()));
        return served == null ? new Answered(0, 0) : new Answered(served.config.get(), served.mmio.get());
    }

    public long mmioAccesses() {
        return mmioAccesses.get();
    }

    /** Stops answering, releases every function, and takes the server down (nothing, once abandoned or closed). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stop();
        @Nullable RuntimeException failed = null;
        for (Served served : List.copyOf(functions.values())) {
            try {
                release(served.device);
            } catch (RuntimeException e) {
                failed = failed == null ? e : failed;
            }
        }
        for (int port : vcpuByPort.keySet()) {
            failed = attempt(failed, () -> calls.unbindPort(port));
        }
        failed = attempt(failed, () -> calls.setServerState(domain, server, false));
        failed = attempt(failed, () -> calls.unmapIoreqPage(domain, server));
        failed = attempt(failed, () -> calls.destroyServer(domain, server));
        if (failed != null) {
            throw failed;
        }
    }

    /**
     * The domain is gone, and its ioreq server with it: stops answering and gives back only
     * what is this process's own (the event channel ports bound here, the mapped ioreq page).
     */
    public synchronized void abandon() {
        if (closed) {
            return;
        }
        closed = true;
        stop();
        functions.clear();
        for (int port : vcpuByPort.keySet()) {
            attempt(null, () -> calls.unbindPort(port));
        }
        attempt(null, () -> calls.unmapIoreqPage(domain, server));
    }

    private void stop() {
        running = false;
        Thread serving = loop;
        if (serving == null) {
            return;
        }
        try {
            serving.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void serveLoop() {
        for (Map.Entry<Integer, Integer> bound : vcpuByPort.entrySet()) {
            Ioreq request = Ioreq.takeLeft(page, bound.getValue());
            if (request != null) {
                leftAnswered.incrementAndGet();
                answer(bound.getValue(), bound.getKey(), request);
            }
        }
        while (running) {
            int port;
            try {
                port = calls.pending(POLL_MILLIS);
                if (port < 0) {
                    continue;
                }
                calls.unmask(port);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "ioreq server of domain %s: waiting for events failed: %s", domain, e.getMessage());
                continue;
            }
            Integer vcpu = vcpuByPort.get(port);
            if (vcpu == null) {
                continue;
            }
            Ioreq request = Ioreq.take(page, vcpu);
            if (request != null) {
                answer(vcpu, port, request);
            }
        }
    }

    /** Carries out the vCPU's request, answers it and wakes the vCPU through its port. */
    private void answer(int vcpu, int port, Ioreq request) {
        long data = -1L;
        try {
            data = handle(request);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "ioreq of domain %s (%s) not answered: %s", domain, request, e.toString());
        }
        Ioreq.answer(page, vcpu, request, data & request.mask());
        try {
            calls.notify(port);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "ioreq server of domain %s: notify failed: %s", domain, e.getMessage());
        }
    }


    private long handle(Ioreq request) {
        return switch (request.type()) {
            case Ioreq.TYPE_PCI_CONFIG -> config(request);
            case Ioreq.TYPE_MMIO -> mmio(request);
            default -> -1L;
        };
    }

    private long config(Ioreq request) {
        configAccesses.incrementAndGet();
        Served served = functions.get((int) (request.address() >>> 32));
        int offset = (int) request.address() & 0xfff;
        if (served == null) {
            return -1L;
        }
        served.config.incrementAndGet();
        if (request.read()) {
            return served.device.configRead(offset, request.size());
        }
        long before = served.device.imageVersion();
        if ((served.device.configWrite(offset, request.size(), (int) request.data()) & PLACEMENT) != 0) {
            follow(served);
        }
        tellIfChanged(served.device, before);
        return 0;
    }

    private long mmio(Ioreq request) {
        mmioAccesses.incrementAndGet();
        Served served = owner(request.address());
        if (served == null) {
            return -1L;
        }
        served.mmio.incrementAndGet();
        long before = served.device.imageVersion();
        if (request.dataIsPointer()) {
            string(served.device, request);
            tellIfChanged(served.device, before);
            return 0;
        }
        if (request.read()) {
            return access(served.device, request.address(), request.size(), 0, false);
        }
        long step = request.down() ? -request.size() : request.size();
        for (int i = 0; i < Math.max(1, request.count()); i++) {
            access(served.device, request.address() + i * step, request.size(), request.data(), true);
        }
        tellIfChanged(served.device, before);
        return 0;
    }

    private void tellIfChanged(PassthroughDevice device, long before) {
        if (device.imageVersion() != before) {
            try {
                changed.accept(device);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "domain %s: keeping %s's image failed: %s", domain, device.guestAddress(), e.getMessage());
            }
        }
    }

    /** One trapped access at guest address {@code address}: the BAR that holds it now answers. */
    private static long access(PassthroughDevice device, long address, int size, long value, boolean write) {
        int bar = device.trappedBar(address);
        if (bar < 0) {
            return -1L;
        }
        long offset = address - device.guestBarAddress(bar);
        if (write) {
            device.mmioWrite(bar, offset, size, value);
            return 0;
        }
        return device.mmioRead(bar, offset, size);
    }

    /**
     * A rep movs to or from a trapped range: {@code count} accesses of {@code size} bytes,
     * stepping down or up, whose other side is guest memory at {@code data}.
     */
    private void string(PassthroughDevice device, Ioreq request) {
        int count = Math.max(1, request.count());
        int size = request.size();
        long step = request.down() ? -size : size;
        long low = request.down() ? request.data() - (long) (count - 1) * size : request.data();
        long high = low + (long) count * size - 1;
        long firstPage = low & -PAGE;
        int pages = (int) (((high & -PAGE) - firstPage) / PAGE + 1);
        if (size > 8 || pages > MAX_STRING_PAGES || pages < 1) {
            LOG.log(Level.WARNING, "domain %s: string MMIO access (%s) not emulated", domain, request);
            return;
        }
        MemorySegment buffer;
        try {
            buffer = calls.mapGuestFrames(domain, firstPage / PAGE, pages);
        } catch (NativeCallFailed e) {
            LOG.log(Level.WARNING, "domain %s: string MMIO access (%s): %s", domain, request, e.getMessage());
            return;
        }
        try {
            for (int i = 0; i < count; i++) {
                long at = request.data() + i * step - firstPage;
                long address = request.address() + i * step;
                if (request.read()) {
                    long value = access(device, address, size, 0, false);
                    for (int b = 0; b < size; b++) {
                        buffer.set(JAVA_BYTE, at + b, (byte) (value >>> (8 * b)));
                    }
                } else {
                    long value = 0;
                    for (int b = 0; b < size; b++) {
                        value |= (buffer.get(JAVA_BYTE, at + b) & 0xffL) << (8 * b);
                    }
                    access(device, address, size, value, true);
                }
            }
        } finally {
            calls.unmapGuestFrames(buffer, pages);
        }
    }

    private @Nullable Served owner(long address) {
        for (Served served : functions.values()) {
            synchronized (served) {
                for (GuestRange range : served.claimed) {
                    if (range.contains(address)) {
                        return served;
                    }
                }
            }
        }
        return null;
    }

    /** Claims the trapped ranges the function decodes now, and lets go of the ones it no longer does. */
    private void follow(Served served) {
        Set<GuestRange> wanted = new LinkedHashSet<>(served.device.decodedTrappedRanges());
        synchronized (served) {
            for (GuestRange range : new ArrayList<>(served.claimed)) {
                if (!wanted.contains(range)) {
                    claim(range, false);
                    served.claimed.remove(range);
                }
            }
            for (GuestRange range : wanted) {
                if (!served.claimed.contains(range) && claim(range, true)) {
                    served.claimed.add(range);
                }
            }
        }
    }

    private boolean claim(GuestRange range, boolean map) {
        try {
            if (map) {
                route(() -> calls.mapMmioRange(domain, server, range.first(), range.last(), true));
            } else {
                calls.mapMmioRange(domain, server, range.first(), range.last(), false);
            }
            return true;
        } catch (NativeCallFailed e) {
            LOG.log(Level.WARNING, "domain %s: %s", domain, e.getMessage());
            return false;
        }
    }

    /**
     * Routes something to the server. On a server taken over, Xen's refusal with EEXIST is
     * Xen saying it routes that here already (an ioreq server's ranges cannot overlap): found.
     */
    private void route(Runnable map) {
        try {
            map.run();
            if (takenOver) {
                routesMade.incrementAndGet();
            }
        } catch (NativeCallFailed e) {
            if (!takenOver || e.errno() != EEXIST) {
                throw e;
            }
            routesFound.incrementAndGet();
        }
    }

    private static void undo(RuntimeException failed, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            failed.addSuppressed(e);
        }
    }

    private static @Nullable RuntimeException attempt(@Nullable RuntimeException failed, Runnable step) {
        try {
            step.run();
            return failed;
        } catch (RuntimeException e) {
            return failed == null ? e : failed;
        }
    }
}
