package dev.passthru.xen;

import dev.passthru.os.CallMemory;
import dev.passthru.os.NativeCallFailed;
import dev.passthru.os.NativeCalls;
import dev.passthru.pci.PciAddress;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/** {@link IoreqCalls} on Debian's libxendevicemodel, libxenforeignmemory and libxenevtchn through java.lang.foreign. */
public final class ForeignIoreqCalls implements IoreqCalls {

    private static final int RESOURCE_IOREQ_SERVER = 0;
    /** XENMEM_resource_ioreq_server_frame_ioreq(0): frame 0 is the buffered page, which these servers have not. */
    private static final int FRAME_IOREQ = 1;
    private static final int PROT_READ_WRITE = 3;
    private static final int PAGE = 4096;

    private final XenFunction create;
    private final XenFunction destroy;
    private final XenFunction state;
    private final XenFunction mapPcidev;
    private final XenFunction unmapPcidev;
    private final XenFunction mapRange;
    private final XenFunction unmapRange;
    private final XenFunction mapResource;
    private final XenFunction unmapResource;
    private final XenFunction mapForeign;
    private final XenFunction unmapForeign;
    private final XenFunction bind;
    private final XenFunction unbind;
    /** The serving thread's calls, made once per ioreq: bound exactly, in that thread's call memory. */
    private final MethodHandle pending;
    private final MethodHandle unmask;
    private final MethodHandle notify;
    private final XenFunction closeDeviceModel;
    private final XenFunction closeForeignMemory;
    private final XenFunction closeEvents;
    private final MemorySegment dm;
    private final MemorySegment memory;
    private final MemorySegment events;
    private final int eventsFd;
    /** Built once: the serving thread's wait names it only when poll fails. */
    private final String eventsFdName;
    private final Map<Integer, MemorySegment> resources = new HashMap<>();

    public ForeignIoreqCalls() {
        SymbolLookup dmLib = XenLibraries.load(XenLibraries.DEVICE_MODEL);
        SymbolLookup memLib = XenLibraries.load(XenLibraries.FOREIGN_MEMORY);
        SymbolLookup evLib = XenLibraries.load(XenLibraries.EVENT_CHANNELS);
        create = new XenFunction(dmLib, "xendevicemodel_create_ioreq_server",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT, JAVA_INT, ADDRESS));
        destroy = new XenFunction(dmLib, "xendevicemodel_destroy_ioreq_server",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT, JAVA_SHORT));
        state = new XenFunction(dmLib, "xendevicemodel_set_ioreq_server_state",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT, JAVA_SHORT, JAVA_INT));
        FunctionDescriptor pcidev = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, JAVA_BYTE,
                JAVA_BYTE, JAVA_BYTE);
        mapPcidev = new XenFunction(dmLib, "xendevicemodel_map_pcidev_to_ioreq_server", pcidev);
        unmapPcidev = new XenFunction(dmLib, "xendevicemodel_unmap_pcidev_from_ioreq_server", pcidev);
        FunctionDescriptor range = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT, JAVA_SHORT, JAVA_INT, JAVA_LONG, JAVA_LONG);
        mapRange = new XenFunction(dmLib, "xendevicemodel_map_io_range_to_ioreq_server", range);
        unmapRange = new XenFunction(dmLib, "xendevicemodel_unmap_io_range_from_ioreq_server", range);
        mapResource = new XenFunction(memLib, "xenforeignmemory_map_resource", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_SHORT,
                JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT));
        unmapResource = new XenFunction(memLib, "xenforeignmemory_unmap_resource", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        mapForeign = new XenFunction(memLib, "xenforeignmemory_map", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT,
                JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
        unmapForeign = new XenFunction(memLib, "xenforeignmemory_unmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
        bind = new XenFunction(evLib, "xenevtchn_bind_interdomain", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        unbind = new XenFunction(evLib, "xenevtchn_unbind", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        pending = NativeCalls.bind(evLib, "xenevtchn_pending", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        unmask = NativeCalls.bind(evLib, "xenevtchn_unmask", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        notify = NativeCalls.bind(evLib, "xenevtchn_notify", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        closeDeviceModel = new XenFunction(dmLib, "xendevicemodel_close", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        closeForeignMemory = new XenFunction(memLib, "xenforeignmemory_close", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        closeEvents = new XenFunction(evLib, "xenevtchn_close", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        dm = new XenFunction(dmLib, "xendevicemodel_open", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT))
                .pointer(() -> "", MemorySegment.NULL, 0);
        memory = new XenFunction(memLib, "xenforeignmemory_open", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT))
                .pointer(() -> "", MemorySegment.NULL, 0);
        events = new XenFunction(evLib, "xenevtchn_open", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT))
                .pointer(() -> "", MemorySegment.NULL, 0);
        eventsFd = new XenFunction(evLib, "xenevtchn_fd", FunctionDescriptor.of(JAVA_INT, ADDRESS)).call(() -> "", events);
        eventsFdName = "event channel fd " + eventsFd;
    }

    @Override
    public int createServer(int domain) {
        MemorySegment id = CallMemory.current().scratch(2);
        create.call(() -> "domain " + domain + ", no buffered ioreqs", dm, (short) domain, 0, id);
        return Short.toUnsignedInt(id.get(JAVA_SHORT, 0));
    }

    /**
     * Turns the server on, which it is already: Xen answers ENOENT for a server the domain does
     * not have and EPERM for one another domain emulates, and changes nothing for this one.
     * (xendevicemodel_get_ioreq_server_info would ask Xen for the pages' guest frames, which
     * Xen refuses for a server whose pages are mapped as a resource, as these are.)
     */
    @Override
    public void checkServer(int domain, int server) {
        state.call(() -> "domain " + domain + ", ioreq server " + server + ", still there", dm, (short) domain, (short) server, 1);
    }

    @Override
    public synchronized MemorySegment mapIoreqPage(int domain, int server) {
        MemorySegment address = CallMemory.current().scratch(ADDRESS.byteSize());
        address.set(ADDRESS, 0, MemorySegment.NULL);
        MemorySegment resource = mapResource.pointer(() -> "domain " + domain + ", ioreq server " + server + ", ioreq page",
                memory, (short) domain, RESOURCE_IOREQ_SERVER, server, (long) FRAME_IOREQ, 1L, address, PROT_READ_WRITE, 0);
        resources.put(server, resource);
        return address.get(ADDRESS, 0).reinterpret(PAGE);
    }

    @Override
    public synchronized void unmapIoreqPage(int domain, int server) {
        MemorySegment resource = resources.remove(server);
        if (resource != null) {
            unmapResource.call(() -> "domain " + domain + ", ioreq server " + server, memory, resource);
        }
    }

    @Override
    public void mapPciFunction(int domain, int server, PciAddress guest, boolean map) {
        (map ? mapPcidev : unmapPcidev).call(() -> "domain " + domain + ", ioreq server " + server + ", " + guest, dm,
                (short) domain, (short) server, (short) guest.domain(), (byte) guest.bus(), (byte) guest.device(),
                (byte) guest.function());
    }

    @Override
    public void mapMmioRange(int domain, int server, long first, long last, boolean map) {
        (map ? mapRange : unmapRange).call(() -> String.format("domain %d, ioreq server %d, MMIO 0x%x-0x%x", domain, server,
                first, last), dm, (short) domain, (short) server, 1, first, last);
    }

    @Override
    public void setServerState(int domain, int server, boolean enabled) {
        state.call(() -> "domain " + domain + ", ioreq server " + server + (enabled ? ", on" : ", off"), dm, (short) domain,
                (short) server, enabled ? 1 : 0);
    }

    @Override
    public void destroyServer(int domain, int server) {
        destroy.call(() -> "domain " + domain + ", ioreq server " + server, dm, (short) domain, (short) server);
    }

    /** xenforeignmemory_map of consecutive frames; a frame Xen refuses (its err[] entry) fails the whole map. */
    @Override
    public MemorySegment mapGuestFrames(int domain, long gfn, int pages) {
        MemorySegment scratch = CallMemory.current().scratch(12L * pages);
        MemorySegment frames = scratch.asSlice(0, 8L * pages);
        MemorySegment errors = scratch.asSlice(8L * pages, 4L * pages);
        for (int i = 0; i < pages; i++) {
            frames.setAtIndex(JAVA_LONG, i, gfn + i);
        }
        Supplier<String> described = () -> String.format("domain %d, gfn 0x%x, %d page(s)", domain, gfn, pages);
        MemorySegment mapping = mapForeign.pointer(described, memory, domain, PROT_READ_WRITE, (long) pages, frames, errors)
                .reinterpret((long) pages * PAGE);
        for (int i = 0; i < pages; i++) {
            int error = errors.getAtIndex(JAVA_INT, i);
            if (error != 0) {
                unmapGuestFrames(mapping, pages);
                throw new NativeCallFailed("xenforeignmemory_map", described.get(), -error);
            }
        }
        return mapping;
    }

    @Override
    public void unmapGuestFrames(MemorySegment mapping, int pages) {
        unmapForeign.call(() -> "0x" + Long.toHexString(mapping.address()) + ", " + pages + " page(s)", memory, mapping,
                (long) pages);
    }

    @Override
    public int bindPort(int domain, int remotePort) {
        return bind.call(() -> "domain " + domain + ", port " + remotePort, events, domain, remotePort);
    }

    @Override
    public void unbindPort(int port) {
        unbind.call(() -> "port " + port, events, port);
    }

    /** Called by the serving thread once per wait: a poll on the event channel fd, in that thread's call memory. */
    @Override
    public int pending(int timeoutMillis) {
        if (!FdPoll.readable(eventsFd, timeoutMillis, eventsFdName)) {
            return -1;
        }
        CallMemory call = CallMemory.current();
        try {
            return call.check((int) pending.invokeExact(call.state(), events), "xenevtchn_pending", "");
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }

    @Override
    public void unmask(int port) {
        CallMemory call = CallMemory.current();
        int result;
        try {
            result = (int) unmask.invokeExact(call.state(), events, port);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
        if (result < 0) {
            throw new NativeCallFailed("xenevtchn_unmask", "port " + port, call.errno());
        }
    }

    @Override
    public void notify(int port) {
        CallMemory call = CallMemory.current();
        int result;
        try {
            result = (int) notify.invokeExact(call.state(), events, port);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
        if (result < 0) {
            throw new NativeCallFailed("xenevtchn_notify", "port " + port, call.errno());
        }
    }

    @Override
    public synchronized void close() {
        closeEvents.call(() -> "", events);
        closeForeignMemory.call(() -> "", memory);
        closeDeviceModel.call(() -> "", dm);
    }
}
