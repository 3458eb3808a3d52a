package dev.passthru.vfiouser;

import dev.passthru.os.NativeCallFailed;
import dev.passthru.vfio.VfioCalls;
import dev.passthru.vfio.VfioDevice;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.List;

/**
 * The client's memory that one connection has made known with VFIO_USER_DMA_MAP: windows of
 * DMA addresses (guest-physical for QEMU), each with the descriptor it came with or none. A
 * window with a descriptor is mapped into this process; for a VFIO function it is then given
 * to VFIO_IOMMU_MAP_DMA at its DMA address, so the real device reaches it. A window without one
 * is only reachable by VFIO_USER_DMA_READ and DMA_WRITE, which the server sends back over the
 * connection ({@link ClientAccess}). Everything is taken down when the client goes.
 */
final class ClientMemory implements AutoCloseable {

    private static final long PAGE = 4096;

    /**
     * A window: where it lies for the device, how large, its flags, where it is mapped here (0:
     * not), whether the IOMMU maps it, and how long VFIO_IOMMU_MAP_DMA took (the kernel pinning
     * its pages and mapping them), in nanoseconds.
     */
    record Window(long address, long size, int flags, long offset, int fd, long mapped, boolean iommu, long pinNanos) {
        boolean holds(long at, long count) {
            return at >= address && count <= size && at - address <= size - count;
        }
    }

    /** What the server sends the client to reach a window that has no descriptor. */
    interface ClientAccess {
        byte[] read(long address, int count);

        void write(long address, byte[] data);
    }

    private final VfioCalls calls;
    private final @Nullable VfioDevice vfio;
    private final List<Window> windows = new ArrayList<>();

    ClientMemory(VfioCalls calls, @Nullable VfioDevice vfio) {
        this.calls = calls;
        this.vfio = vfio;
    }

    /**
     * Adds a window; {@code fd} (-1: none) becomes this object's. The errno of a refusal: EINVAL
     * for an empty, unaligned or wrapping window or unknown flags, EEXIST for one that overlaps a
     * window, ENOSPC past the most windows; a failed mmap or IOMMU map says its own.
     */
    synchronized int map(int flags, long offset, long address, long size, int fd) {
        int refused = check(flags, address, size);
        if (refused != 0) {
            closeQuietly(fd);
            return refused;
        }
        long mapped = 0;
        boolean iommu = false;
        long pinNanos = 0;
        try {
            if (fd >= 0) {
                mapped = calls.map(fd, size, offset, "DMA window 0x" + Long.toHexString(address));
                if (vfio != null) {
                    long start = System.nanoTime();
                    vfio.mapDma(mapped, address, size);
                    pinNanos = System.nanoTime() - start;
                    iommu = true;
                }
            }
        } catch (NativeCallFailed e) {
            undo(mapped, size, fd);
            return e.errno() != 0 ? e.errno() : VfioUser.EFAULT;
        } catch (RuntimeException e) {
            undo(mapped, size, fd);
            return VfioUser.EFAULT;
        }
        windows.add(new Window(address, size, flags, offset, fd, mapped, iommu, pinNanos));
        return 0;
    }

    private int check(int flags, long address, long size) {
        if (size <= 0 || (address & (PAGE - 1)) != 0 || (size & (PAGE - 1)) != 0 || address + size < address
                || (flags & ~(VfioUser.DMA_READABLE | VfioUser.DMA_WRITEABLE)) != 0) {
            return VfioUser.EINVAL;
        }
        for (Window w : windows) {
            if (address < w.address() + w.size() && w.address() < address + size) {
                return VfioUser.EEXIST;
            }
        }
        return windows.size() >= VfioUser.MAX_DMA_MAPS ? VfioUser.ENOSPC : 0;
    }

    private void undo(long mapped, long size, int fd) {
        if (mapped != 0) {
            calls.unmap(mapped, size);
        }
        closeQuietly(fd);
    }

    /** Removes the window that is exactly {@code address}+{@code size}; EINVAL when there is none. */
    synchronized int unmap(long address, long size) {
        for (int i = 0; i < windows.size(); i++) {
            Window w = windows.get(i);
            if (w.address() == address && w.size() == size) {
                windows.remove(i);
                release(w);
                return 0;
            }
        }
        return VfioUser.EINVAL;
    }

    private void release(Window w) {
        if (w.iommu() && vfio != null) {
            vfio.unmapDma(w.address(), w.size());
        }
        if (w.mapped() != 0) {
            calls.unmap(w.mapped(), w.size());
        }
        closeQuietly(w.fd());
    }

    synchronized List<Window> windows() {
        return List.copyOf(windows);
    }

    /**
     * Reads client memory at a DMA address: from the mapping of a window with a descriptor, or
     * by VFIO_USER_DMA_READ for one without.
     *
     * @throws IllegalArgumentException where no readable window holds the range
     */
    byte[] read(long address, int count, ClientAccess access) {
        Window w = window(address, count, VfioUser.DMA_READABLE);
        if (w.mapped() == 0) {
            return access.read(address, count);
        }
        byte[] data = new byte[count];
        calls.copyOut(w.mapped() + (address - w.address()), data);
        return data;
    }

    void write(long address, byte[] data, ClientAccess access) {
        Window w = window(address, data.length, VfioUser.DMA_WRITEABLE);
        if (w.mapped() == 0) {
            access.write(address, data);
            return;
        }
        calls.copyIn(w.mapped() + (address - w.address()), data);
    }

    private synchronized Window window(long address, long count, int flag) {
        for (Window w : windows) {
            if (w.holds(address, count) && (w.flags() & flag) != 0) {
                return w;
            }
        }
        throw new IllegalArgumentException(String.format("no %s DMA window holds 0x%x+0x%x",
                flag == VfioUser.DMA_READABLE ? "readable" : "writeable", address, count));
    }

    private void closeQuietly(int fd) {
        if (fd >= 0) {
            try {
                calls.close(fd);
            } catch (NativeCallFailed e) {
                // the descriptor was the client's to pass; a close that fails leaves nothing of ours behind
            }
        }
    }

    /** The client went: every window is unmapped and its descriptor closed. */
    @Override
    public synchronized void close() {
        for (Window w : List.copyOf(windows)) {
            release(w);
        }
        windows.clear();
    }
}
