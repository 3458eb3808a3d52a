package dev.passthru.vfio;

import dev.passthru.host.HostInterrupts;
import dev.passthru.log.RateLimitedLog;
import dev.passthru.os.NativeCallFailed;

import java.lang.System.Logger.Level;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;

/**
 * A VFIO function's interrupts: an eventfd per vector handed to VFIO_DEVICE_SET_IRQS, and a
 * thread that watches them (non-blocking reads, a millisecond apart) and reports each one that
 * fired; INTx is unmasked after each delivery, as VFIO masks it on the way.
 */
final class VfioInterrupts implements HostInterrupts {

    private static final RateLimitedLog LOG = RateLimitedLog.of(VfioInterrupts.class.getName());
    private static final int[] INDEX = {Vfio.PCI_INTX_IRQ_INDEX, Vfio.PCI_MSI_IRQ_INDEX, Vfio.PCI_MSIX_IRQ_INDEX};

    private record Watch(int[] eventfds, Thread thread, AtomicBoolean running) {
    }

    private final VfioCalls calls;
    private final VfioHandle handle;
    private final Map<Kind, Watch> watches = new EnumMap<>(Kind.class);

    VfioInterrupts(VfioCalls calls, VfioHandle handle) {
        this.calls = calls;
        this.handle = handle;
    }

    @Override
    public synchronized void route(Kind kind, int vectors, IntConsumer fired) {
        stop(kind);
        VfioDevice device = handle.device();
        int available = device.irqs().get(INDEX[kind.ordinal()]).count();
        int count = Math.min(vectors, available);
        if (count == 0) {
            return;
        }
        int[] eventfds = new int[count];
        for (int i = 0; i < count; i++) {
            eventfds[i] = calls.eventfd();
        }
        try {
            device.enableInterrupts(INDEX[kind.ordinal()], eventfds);
        } catch (NativeCallFailed e) {
            LOG.log(Level.WARNING, "%s: %s interrupts not routed", e.getMessage(), kind);
            for (int fd : eventfds) {
                calls.close(fd);
            }
            return;
        }
        AtomicBoolean running = new AtomicBoolean(true);
        Thread thread = Thread.ofPlatform().daemon().name("vfio-" + kind).start(() -> {
            while (running.get()) {
                for (int v = 0; v < eventfds.length; v++) {
                    if (calls.drain(eventfds[v]) > 0) {
                        fired.accept(v);
                        if (kind == Kind.INTX) {
                            device.unmaskIntx();
                        }
                    }
                }
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        watches.put(kind, new Watch(eventfds, thread, running));
    }

    @Override
    public synchronized void stop(Kind kind) {
        Watch watch = watches.remove(kind);
        if (watch == null) {
            return;
        }
        watch.running().set(false);
        try {
            watch.thread().join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            handle.device().disableInterrupts(INDEX[kind.ordinal()]);
        } catch (NativeCallFailed e) {
            LOG.log(Level.WARNING, "%s", e.getMessage());
        }
        for (int fd : watch.eventfds()) {
            calls.close(fd);
        }
    }
}
