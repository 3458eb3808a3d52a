package dev.passthru.vfiouser;

import dev.passthru.log.RateLimitedLog;
import dev.passthru.os.NativeCallFailed;
import dev.passthru.vfio.VfioCalls;
import dev.passthru.vfio.VfioDevice;
import org.jspecify.annotations.Nullable;

import java.lang.System.Logger.Level;
import java.util.Arrays;

/**
 * The interrupts one connection has asked for with VFIO_USER_DEVICE_SET_IRQS: an eventfd of the
 * client's per vector, and each vector's mask and pending bit. For a VFIO function the client's
 * eventfds go to VFIO_DEVICE_SET_IRQS as they are, so the kernel signals the client itself and
 * no interrupt passes through this process. VFIO cannot mask an MSI or MSI-X vector, so a
 * vector the client masks is signalled to an eventfd of the server's instead, and unmasking
 * gives the kernel the client's eventfd back and signals it once if the vector fired meanwhile
 * (the PBA's pending bit). INTx masking is the kernel's own. Everything is closed, and the
 * kernel's signals taken away, when the client goes.
 */
final class ClientInterrupts implements AutoCloseable {

    private static final RateLimitedLog LOG = RateLimitedLog.of(ClientInterrupts.class.getName());
    private static final int DATA_KINDS = VfioUser.IRQ_SET_DATA_MASK;
    private static final int ACTIONS = VfioUser.IRQ_SET_ACTION_MASK_ALL;

    /** One interrupt index: per vector the client's eventfd (-1: none), the server's stand-in while masked, mask and pending. */
    private static final class Index {
        final int[] client;
        final int[] standIn;
        final boolean[] masked;
        final boolean[] pending;

        Index(int vectors) {
            client = new int[vectors];
            standIn = new int[vectors];
            Arrays.fill(client, -1);
            Arrays.fill(standIn, -1);
            masked = new boolean[vectors];
            pending = new boolean[vectors];
        }
    }

    private final VfioCalls calls;
    private final ServedFunction function;
    private final @Nullable VfioDevice vfio;
    private final Index[] indexes = new Index[VfioUser.PCI_NUM_IRQS];

    ClientInterrupts(VfioCalls calls, ServedFunction function) {
        this.calls = calls;
        this.function = function;
        this.vfio = function.vfio();
        for (int i = 0; i < indexes.length; i++) {
            indexes[i] = new Index(function.irq(i).count());
        }
    }

    /**
     * One SET_IRQS: its flags, index, vectors and data (booleans for DATA_BOOL, the descriptors
     * for DATA_EVENTFD, which become this object's). 0, or the errno of the refusal.
     */
    synchronized int set(int flags, int index, int start, int count, byte[] bools, int[] fds) {
        int refused = check(flags, index, start, count, bools, fds);
        if (refused != 0) {
            closeAll(fds);
            return refused;
        }
        int data = flags & DATA_KINDS;
        int action = flags & ACTIONS;
        try {
            if (count == 0) {
                disable(index);
            } else if (data == VfioUser.IRQ_SET_DATA_EVENTFD) {
                assign(index, start, count, fds);
            } else {
                for (int v = start; v < start + count; v++) {
                    if (data == VfioUser.IRQ_SET_DATA_NONE || bools[v - start] != 0) {
                        act(index, v, action);
                    }
                }
            }
            return 0;
        } catch (NativeCallFailed e) {
            return e.errno() != 0 ? e.errno() : VfioUser.EINVAL;
        }
    }

    private int check(int flags, int index, int start, int count, byte[] bools, int[] fds) {
        int data = flags & DATA_KINDS;
        int action = flags & ACTIONS;
        if (index < 0 || index >= indexes.length || Integer.bitCount(data) != 1 || Integer.bitCount(action) != 1
                || (flags & ~(DATA_KINDS | ACTIONS)) != 0) {
            return VfioUser.EINVAL;
        }
        if (count == 0) {
            return start == 0 && data == VfioUser.IRQ_SET_DATA_NONE && action == VfioUser.IRQ_SET_ACTION_TRIGGER
                    ? 0 : VfioUser.EINVAL;
        }
        int vectors = indexes[index].client.length;
        if (start < 0 || count < 0 || start > vectors || count > vectors - start) {
            return VfioUser.EINVAL;
        }
        if (data == VfioUser.IRQ_SET_DATA_EVENTFD) {
            if (action != VfioUser.IRQ_SET_ACTION_TRIGGER) {
                return VfioUser.ENOTSUP;
            }
            return fds.length == count || fds.length == 0 ? 0 : VfioUser.EINVAL;
        }
        if (fds.length != 0) {
            return VfioUser.EINVAL;
        }
        return data == VfioUser.IRQ_SET_DATA_BOOL && bools.length < count ? VfioUser.EINVAL : 0;
    }

    /** Vectors start.. signal these eventfds (none: they signal nothing any more). */
    private void assign(int index, int start, int count, int[] fds) {
        Index at = indexes[index];
        int[] kernel = new int[count];
        for (int i = 0; i < count; i++) {
            int v = start + i;
            int fd = fds.length == 0 ? -1 : fds[i];
            kernel[i] = at.masked[v] && index != VfioUser.INTX ? standIn(at, v) : fd;
        }
        if (vfio != null) {
            vfio.setIrqs(VfioUser.IRQ_SET_DATA_EVENTFD | VfioUser.IRQ_SET_ACTION_TRIGGER, index, start, count, kernel);
        }
        for (int i = 0; i < count; i++) {
            int v = start + i;
            closeQuietly(at.client[v]);
            at.client[v] = fds.length == 0 ? -1 : fds[i];
        }
    }

    private void act(int index, int v, int action) {
        Index at = indexes[index];
        switch (action) {
            case VfioUser.IRQ_SET_ACTION_TRIGGER -> fire(at, v);
            case VfioUser.IRQ_SET_ACTION_MASK -> {
                if (vfio != null && index == VfioUser.INTX) {
                    vfio.setIrqs(VfioUser.IRQ_SET_DATA_NONE | VfioUser.IRQ_SET_ACTION_MASK, index, v, 1);
                } else if (vfio != null && !at.masked[v] && at.client[v] >= 0) {
                    vfio.setIrqs(VfioUser.IRQ_SET_DATA_EVENTFD | VfioUser.IRQ_SET_ACTION_TRIGGER, index, v, 1,
                            standIn(at, v));
                }
                at.masked[v] = true;
            }
            default -> {
                if (vfio != null && index == VfioUser.INTX) {
                    vfio.setIrqs(VfioUser.IRQ_SET_DATA_NONE | VfioUser.IRQ_SET_ACTION_UNMASK, index, v, 1);
                } else if (vfio != null && at.masked[v] && at.client[v] >= 0) {
                    vfio.setIrqs(VfioUser.IRQ_SET_DATA_EVENTFD | VfioUser.IRQ_SET_ACTION_TRIGGER, index, v, 1,
                            at.client[v]);
                }
                at.masked[v] = false;
                if (at.standIn[v] >= 0 && calls.drain(at.standIn[v]) > 0) {
                    at.pending[v] = true;
                }
                if (at.pending[v]) {
                    fire(at, v);
                }
            }
        }
    }

    /** The vector fired: the client is signalled, or while it is masked the vector is pending. */
    private void fire(Index at, int v) {
        if (at.masked[v]) {
            at.pending[v] = true;
            return;
        }
        at.pending[v] = false;
        if (at.client[v] >= 0) {
            calls.signal(at.client[v]);
        }
    }

    private int standIn(Index at, int v) {
        if (at.standIn[v] < 0) {
            at.standIn[v] = calls.eventfd();
        }
        return at.standIn[v];
    }

    /** Whether vector {@code v} of {@code index} fired while masked and has not been delivered. */
    synchronized boolean pending(int index, int v) {
        Index at = indexes[index];
        if (at.standIn[v] >= 0 && at.masked[v] && calls.drain(at.standIn[v]) > 0) {
            at.pending[v] = true;
        }
        return at.pending[v];
    }

    synchronized boolean masked(int index, int v) {
        return indexes[index].masked[v];
    }

    /** The client's eventfd for vector {@code v} of {@code index}, -1 for none. */
    synchronized int eventfd(int index, int v) {
        return indexes[index].client[v];
    }

    /** Every vector of {@code index} off: the kernel's signals taken away, the client's eventfds closed. */
    private void disable(int index) {
        Index at = indexes[index];
        boolean any = Arrays.stream(at.client).anyMatch(fd -> fd >= 0);
        try {
            if (vfio != null && any) {
                vfio.setIrqs(VfioUser.IRQ_SET_DATA_NONE | VfioUser.IRQ_SET_ACTION_TRIGGER, index, 0, 0);
            }
        } finally {
            for (int v = 0; v < at.client.length; v++) {
                closeQuietly(at.client[v]);
                closeQuietly(at.standIn[v]);
                at.client[v] = -1;
                at.standIn[v] = -1;
                at.masked[v] = false;
                at.pending[v] = false;
            }
        }
    }

    private void closeAll(int[] fds) {
        for (int fd : fds) {
            closeQuietly(fd);
        }
    }

    private void closeQuietly(int fd) {
        if (fd < 0) {
            return;
        }
        try {
            calls.close(fd);
        } catch (NativeCallFailed e) {
            LOG.log(Level.WARNING, "%s", e.getMessage());
        }
    }

    /** The client went: every index off, its eventfds closed. */
    @Override
    public synchronized void close() {
        for (int index = 0; index < indexes.length; index++) {
            try {
                disable(index);
            } catch (NativeCallFailed e) {
                LOG.log(Level.WARNING, "%s: interrupts of index %d not taken back: %s", function.device().function().address(),
                        index, e.getMessage());
            }
        }
    }
}
