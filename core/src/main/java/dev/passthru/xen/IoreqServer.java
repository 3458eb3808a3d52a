package dev.passthru.xen;

import dev.passthru.device.PassthroughDevice;
import dev.passthru.device.TrappedRegion;
import dev.passthru.log.RateLimitedLog;
import dev.passthru.qemu.DeviceProxyTarget;

import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * passthru as a Xen device model for one domain: an ioreq server that claims the config space
 * of each function it serves and the guest pages of their BARs that must be trapped (the MSI-X
 * table and PBA), and answers what the guest's vCPUs send it. The BARs themselves are mapped
 * by the hypervisor port: the guest reaches them without passing through here. The Xen twin of
 * the QEMU proxy transport: both hand accesses to {@link DeviceProxyTarget}.
 *
 * <p>One thread waits on the event channels and answers in order; a guest's access never
 * raises here: what cannot be answered reads all-ones and is logged, rate-limited.
 */
public final class IoreqServer implements AutoCloseable {

    private static final RateLimitedLog LOG = RateLimitedLog.of(IoreqServer.class.getName());
    private static final int MAX_VCPUS = 4096 / Ioreq.SLOT;
    private static final int POLL_MILLIS = 100;

    private record Range(long first, long last) {
    }

    private static final class Served {
        final PassthroughDevice device;
        final DeviceProxyTarget target;
        final Set<Range> claimed = new LinkedHashSet<>();

        Served(PassthroughDevice device) {
            this.device = device;
            this.target = new DeviceProxyTarget(device);
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
    private final Thread loop;
    private volatile boolean running = true;

    private IoreqServer(IoreqCalls calls, int domain, int server, MemorySegment page) {
        this.calls = calls;
        this.domain = domain;
        this.server = server;
        this.page = page;
        // Xen writes each vCPU's port into the page when the server is turned on.
        calls.setServerState(domain, server, true);
        try {
            for (int vcpu = 0; vcpu < MAX_VCPUS && Ioreq.remotePort(page, vcpu) != 0; vcpu++) {
                vcpuByPort.put(calls.bindPort(domain, Ioreq.remotePort(page, vcpu)), vcpu);
            }
            if (vcpuByPort.isEmpty()) {
                throw new XenCallFailed("set_ioreq_server_state", "domain " + domain + ", ioreq server " + server
                        + ": no vCPU event channel in the ioreq page", 22);
            }
        } catch (RuntimeException e) {
            vcpuByPort.keySet().forEach(port -> undo(e, () -> calls.unbindPort(port)));
            undo(e, () -> calls.setServerState(domain, server, false));
            throw e;
        }
        loop = Thread.ofPlatform().name("ioreq-d" + domain).daemon().start(this::serveLoop);
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
                return new IoreqServer(calls, domain, server, page);
            } catch (RuntimeException e) {
                undo(e, () -> calls.unmapIoreqPage(domain, server));
                throw e;
            }
        } catch (RuntimeException e) {
            undo(e, () -> calls.destroyServer(domain, server));
            throw e;
        }
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
        calls.mapPciFunction(domain, server, device.guestAddress(), true);
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
            for (Range range : List.copyOf(served.claimed)) {
                calls.mapMmioRange(domain, server, range.first(), range.last(), false);
                served.claimed.remove(range);
            }
        }
        calls.mapPciFunction(domain, server, device.guestAddress(), false);
    }

    public long configAccesses() {
        return configAccesses.get();
    }

    public long mmioAccesses() {
        return mmioAccesses.get();
    }

    /** Stops answering, releases every function, and takes the server down. */
    @Override
    public void close() {
        running = false;
        try {
            loop.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        RuntimeException failed = null;
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

    private void serveLoop() {
        while (running) {
            int port;
            try {
                port = calls.pending(POLL_MILLIS);
                if (port < 0) {
                    continue;
                }
                calls.unmask(port);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "ioreq server of domain {0}: waiting for events failed: {1}", domain, e.getMessage());
                continue;
            }
            Integer vcpu = vcpuByPort.get(port);
            if (vcpu == null) {
                continue;
            }
            Ioreq request = Ioreq.take(page, vcpu);
            if (request == null) {
                continue;
            }
            long data = -1L;
            try {
                data = handle(request);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "ioreq of domain {0} ({1}) not answered: {2}", domain, request, e.toString());
            }
            Ioreq.answer(page, vcpu, request, data & request.mask());
            try {
                calls.notify(port);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "ioreq server of domain {0}: notify failed: {1}", domain, e.getMessage());
            }
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
        if (request.read()) {
            return served.target.configRead(offset, request.size());
        }
        served.target.configWrite(offset, request.size(), (int) request.data());
        follow(served);
        return 0;
    }

    private long mmio(Ioreq request) {
        mmioAccesses.incrementAndGet();
        if (request.dataIsPointer()) {
            LOG.log(Level.WARNING, "domain {0}: string MMIO access at 0x{1} not emulated", domain, Long.toHexString(request.address()));
            return -1L;
        }
        Served served = owner(request.address());
        if (served == null) {
            return -1L;
        }
        if (request.read()) {
            return served.target.barRead(request.address(), request.size(), true);
        }
        long step = request.down() ? -request.size() : request.size();
        for (int i = 0; i < Math.max(1, request.count()); i++) {
            served.target.barWrite(request.address() + i * step, request.size(), request.data(), true);
        }
        return 0;
    }

    private Served owner(long address) {
        for (Served served : functions.values()) {
            synchronized (served) {
                for (Range range : served.claimed) {
                    if (address >= range.first() && address <= range.last()) {
                        return served;
                    }
                }
            }
        }
        return null;
    }

    /** Claims the guest pages the function traps where its BARs are now, and lets go of the old ones. */
    private void follow(Served served) {
        Set<Range> wanted = new LinkedHashSet<>();
        for (TrappedRegion region : served.device.trappedRegions()) {
            long base = served.device.guestBarAddress(region.bar());
            if (base != 0) {
                wanted.add(new Range(base + region.offset(), base + region.offset() + region.length() - 1));
            }
        }
        synchronized (served) {
            for (Range range : new ArrayList<>(served.claimed)) {
                if (!wanted.contains(range)) {
                    claim(range, false);
                    served.claimed.remove(range);
                }
            }
            for (Range range : wanted) {
                if (!served.claimed.contains(range) && claim(range, true)) {
                    served.claimed.add(range);
                }
            }
        }
    }

    private boolean claim(Range range, boolean map) {
        try {
            calls.mapMmioRange(domain, server, range.first(), range.last(), map);
            return true;
        } catch (XenCallFailed e) {
            LOG.log(Level.WARNING, "domain {0}: {1}", domain, e.getMessage());
            return false;
        }
    }

    private static void undo(RuntimeException failed, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            failed.addSuppressed(e);
        }
    }

    private static RuntimeException attempt(RuntimeException failed, Runnable step) {
        try {
            step.run();
            return failed;
        } catch (RuntimeException e) {
            return failed == null ? e : failed;
        }
    }
}
