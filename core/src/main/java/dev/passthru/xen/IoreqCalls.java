package dev.passthru.xen;

import dev.passthru.os.NativeCallFailed;
import dev.passthru.pci.PciAddress;

import java.lang.foreign.MemorySegment;

/**
 * What an ioreq server needs of libxendevicemodel, libxenforeignmemory and libxenevtchn: a
 * server for a domain, its shared ioreq page, the ranges and functions routed to it, and the
 * event channels its vCPUs signal on. Failures throw {@link NativeCallFailed}.
 */
public interface IoreqCalls extends AutoCloseable {

    /** A new ioreq server for the domain, without a buffered-ioreq page; its id. */
    int createServer(int domain);

    /**
     * Checks that the domain still has the server, on, and that this domain emulates it: a
     * restarted device model takes over a server an earlier one made.
     */
    void checkServer(int domain, int server);

    /** The server's synchronous ioreq page, one 32-byte slot per vCPU, mapped into this process. */
    MemorySegment mapIoreqPage(int domain, int server);

    void unmapIoreqPage(int domain, int server);

    /** Routes (or stops routing) the guest function's config space accesses to the server. */
    void mapPciFunction(int domain, int server, PciAddress guest, boolean map);

    /** Routes (or stops routing) guest-physical {@code first}-{@code last} (inclusive) to the server. */
    void mapMmioRange(int domain, int server, long first, long last, boolean map);

    void setServerState(int domain, int server, boolean enabled);

    /** Maps {@code pages} of the domain's memory from guest frame {@code gfn} into this process, read-write. */
    MemorySegment mapGuestFrames(int domain, long gfn, int pages);

    void unmapGuestFrames(MemorySegment mapping, int pages);

    void destroyServer(int domain, int server);

    /** Binds a local port to the domain's {@code remotePort}; the local port. */
    int bindPort(int domain, int remotePort);

    void unbindPort(int port);

    /**
     * The next signalled local port, or -1 when none came within {@code timeoutMillis}. This,
     * {@link #unmask} and {@link #notify} run once per ioreq on the one serving thread.
     */
    int pending(int timeoutMillis);

    void unmask(int port);

    void notify(int port);

    @Override
    void close();
}
