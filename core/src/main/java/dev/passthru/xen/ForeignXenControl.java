package dev.passthru.xen;

import dev.passthru.os.CallMemory;
import dev.passthru.os.NativeCallFailed;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * {@link XenControl} on Debian's libxenctrl 4.17 and libxendevicemodel through java.lang.foreign.
 * One call at a time: the serving thread and the thread that watches the domain share the handles.
 */
public final class ForeignXenControl implements XenControl {

    /** xc_physdev_map_pirq_msi's index for "Xen picks the machine irq". */
    private static final int AUTO_ASSIGN = -1;
    private static final int DOMID_INVALID = 0x7ff4;
    /** struct xen_domctl_getdomaininfo: domid_t domain at 0, uint32_t flags at 4, 112 bytes in 4.17 (room to spare). */
    private static final int DOMAIN_INFO_BYTES = 256;
    private static final int DOMINF_DYING = 1;
    private static final int DOMINF_SHUTDOWN = 1 << 2;
    private static final int DOMINF_PAUSED = 1 << 3;
    private static final int EINVAL = 22;
    private static final byte PT_IRQ_TYPE_PCI = 0;

    private final XenFunction domainInfo;
    private final XenFunction testAssign;
    private final XenFunction assign;
    private final XenFunction deassign;
    private final XenFunction memoryMapping;
    private final XenFunction ioportMapping;
    private final XenFunction iomemPermission;
    private final XenFunction ioportPermission;
    private final XenFunction irqPermission;
    private final XenFunction mapPirq;
    private final XenFunction mapPirqMsi;
    private final XenFunction unmapPirq;
    private final XenFunction bindPciIrq;
    private final XenFunction unbindPtIrq;
    private final XenFunction updateMsiIrq;
    private final XenFunction unbindMsiIrq;
    private final XenFunction setPciIntxLevel;
    private final XenFunction injectMsi;
    private final XenFunction closeControl;
    private final XenFunction closeDeviceModel;
    private final MemorySegment xc;
    private final MemorySegment dm;

    /** Opens libxenctrl's and libxendevicemodel's handles. */
    public ForeignXenControl() {
        SymbolLookup ctrl = XenLibraries.load(XenLibraries.CONTROL);
        SymbolLookup dmLib = XenLibraries.load(XenLibraries.DEVICE_MODEL);
        domainInfo = new XenFunction(ctrl, "xc_domain_getinfolist",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
        testAssign = new XenFunction(ctrl, "xc_test_assign_device", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        assign = new XenFunction(ctrl, "xc_assign_device", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
        deassign = new XenFunction(ctrl, "xc_deassign_device", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        memoryMapping = new XenFunction(ctrl, "xc_domain_memory_mapping",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT));
        ioportMapping = new XenFunction(ctrl, "xc_domain_ioport_mapping",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        iomemPermission = new XenFunction(ctrl, "xc_domain_iomem_permission",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_BYTE));
        ioportPermission = new XenFunction(ctrl, "xc_domain_ioport_permission",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        irqPermission = new XenFunction(ctrl, "xc_domain_irq_permission",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_BOOLEAN));
        mapPirq = new XenFunction(ctrl, "xc_physdev_map_pirq", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
        mapPirqMsi = new XenFunction(ctrl, "xc_physdev_map_pirq_msi",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
        unmapPirq = new XenFunction(ctrl, "xc_physdev_unmap_pirq", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        bindPciIrq = new XenFunction(ctrl, "xc_domain_bind_pt_pci_irq",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_BYTE, JAVA_BYTE, JAVA_BYTE, JAVA_BYTE));
        unbindPtIrq = new XenFunction(ctrl, "xc_domain_unbind_pt_irq",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_BYTE, JAVA_BYTE, JAVA_BYTE, JAVA_BYTE, JAVA_BYTE, JAVA_BYTE));
        updateMsiIrq = new XenFunction(ctrl, "xc_domain_update_msi_irq",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
        unbindMsiIrq = new XenFunction(ctrl, "xc_domain_unbind_msi_irq",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        setPciIntxLevel = new XenFunction(dmLib, "xendevicemodel_set_pci_intx_level",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT, JAVA_SHORT, JAVA_BYTE, JAVA_BYTE, JAVA_BYTE, JAVA_INT));
        injectMsi = new XenFunction(dmLib, "xendevicemodel_inject_msi",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT, JAVA_LONG, JAVA_INT));
        closeControl = new XenFunction(ctrl, "xc_interface_close", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        closeDeviceModel = new XenFunction(dmLib, "xendevicemodel_close", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        xc = new XenFunction(ctrl, "xc_interface_open", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_INT))
                .pointer(() -> "", MemorySegment.NULL, MemorySegment.NULL, 0);
        dm = new XenFunction(dmLib, "xendevicemodel_open", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT))
                .pointer(() -> "", MemorySegment.NULL, 0);
    }

    /** The first domain from {@code domain} on is the one asked about only if it exists. */
    @Override
    public synchronized DomainState domainState(int domain) {
        MemorySegment info = CallMemory.current().scratch(DOMAIN_INFO_BYTES);
        int found = domainInfo.call(() -> "from domain " + domain, xc, domain, 1, info);
        if (found < 1 || Short.toUnsignedInt(info.get(JAVA_SHORT, 0)) != domain) {
            return DomainState.GONE;
        }
        int flags = info.get(JAVA_INT, 4);
        if ((flags & DOMINF_DYING) != 0) {
            return DomainState.GONE;
        }
        if ((flags & DOMINF_SHUTDOWN) != 0) {
            return DomainState.SHUT_DOWN;
        }
        return (flags & DOMINF_PAUSED) != 0 ? DomainState.PAUSED : DomainState.ALIVE;
    }

    @Override
    public synchronized boolean heldForGuest(int sbdf) {
        try {
            testAssign.call(() -> XenSbdf.text(sbdf), xc, DOMID_INVALID, sbdf);
            return false;
        } catch (NativeCallFailed e) {
            if (e.errno() == EINVAL) {
                return true;
            }
            throw e;
        }
    }

    @Override
    public synchronized void assignDevice(int domain, int sbdf, boolean relaxedRdm) {
        assign.call(() -> "domain " + domain + ", " + XenSbdf.text(sbdf) + (relaxedRdm ? ", relaxed" : ", strict"),
                xc, domain, sbdf, relaxedRdm ? 1 : 0);
    }

    @Override
    public synchronized void deassignDevice(int domain, int sbdf) {
        deassign.call(() -> "domain " + domain + ", " + XenSbdf.text(sbdf), xc, domain, sbdf);
    }

    @Override
    public synchronized void memoryMapping(int domain, long gfn, long mfn, long frames, boolean add) {
        memoryMapping.call(() -> String.format("domain %d, gfn 0x%x, mfn 0x%x, %d frames, %s", domain, gfn, mfn, frames,
                add ? "add" : "remove"), xc, domain, gfn, mfn, frames, add ? 1 : 0);
    }

    @Override
    public synchronized void ioportMapping(int domain, int guestPort, int machinePort, int count, boolean add) {
        ioportMapping.call(() -> String.format("domain %d, guest 0x%x, machine 0x%x, %d ports, %s", domain, guestPort,
                machinePort, count, add ? "add" : "remove"), xc, domain, guestPort, machinePort, count, add ? 1 : 0);
    }

    @Override
    public synchronized void iomemPermission(int domain, long mfn, long frames, boolean allow) {
        iomemPermission.call(() -> String.format("domain %d, mfn 0x%x, %d frames, %s", domain, mfn, frames,
                allow ? "allow" : "deny"), xc, domain, mfn, frames, (byte) (allow ? 1 : 0));
    }

    @Override
    public synchronized void ioportPermission(int domain, int port, int count, boolean allow) {
        ioportPermission.call(() -> String.format("domain %d, port 0x%x, %d ports, %s", domain, port, count,
                allow ? "allow" : "deny"), xc, domain, port, count, allow ? 1 : 0);
    }

    @Override
    public synchronized void irqPermission(int domain, int pirq, boolean allow) {
        irqPermission.call(() -> "domain " + domain + ", pirq " + pirq + (allow ? ", allow" : ", deny"), xc, domain, pirq, allow);
    }

    @Override
    public synchronized int mapPirqGsi(int domain, int gsi) {
        MemorySegment pirq = CallMemory.current().scratch(4);
        pirq.set(JAVA_INT, 0, gsi);
        mapPirq.call(() -> "domain " + domain + ", gsi " + gsi, xc, domain, gsi, pirq);
        return pirq.get(JAVA_INT, 0);
    }

    @Override
    public synchronized int mapPirqMsi(int domain, int pirq, int bus, int devfn, int entry, long tableBase) {
        MemorySegment given = CallMemory.current().scratch(4);
        given.set(JAVA_INT, 0, pirq);
        mapPirqMsi.call(() -> String.format("domain %d, pirq %d, %02x:%02x.%d, entry %d, table 0x%x", domain, pirq, bus,
                devfn >> 3, devfn & 7, entry, tableBase), xc, domain, AUTO_ASSIGN, given, devfn, bus, entry, tableBase);
        return given.get(JAVA_INT, 0);
    }

    @Override
    public synchronized void unmapPirq(int domain, int pirq) {
        unmapPirq.call(() -> "domain " + domain + ", pirq " + pirq, xc, domain, pirq);
    }

    @Override
    public synchronized void bindPciIrq(int domain, int pirq, int bus, int device, int intx) {
        bindPciIrq.call(() -> String.format("domain %d, pirq %d, guest %02x:%02x INT%c", domain, pirq, bus, device, 'A' + intx),
                xc, domain, (byte) pirq, (byte) bus, (byte) device, (byte) intx);
    }

    @Override
    public synchronized void unbindPciIrq(int domain, int pirq, int bus, int device, int intx) {
        unbindPtIrq.call(() -> String.format("domain %d, pirq %d, guest %02x:%02x INT%c", domain, pirq, bus, device, 'A' + intx),
                xc, domain, (byte) pirq, PT_IRQ_TYPE_PCI, (byte) bus, (byte) device, (byte) intx, (byte) 0);
    }

    @Override
    public synchronized void updateMsiIrq(int domain, int vector, int pirq, int flags) {
        updateMsiIrq.call(() -> String.format("domain %d, vector 0x%x, pirq %d, flags 0x%x", domain, vector, pirq, flags),
                xc, domain, vector, pirq, flags, 0L);
    }

    @Override
    public synchronized void unbindMsiIrq(int domain, int vector, int pirq, int flags) {
        unbindMsiIrq.call(() -> String.format("domain %d, vector 0x%x, pirq %d, flags 0x%x", domain, vector, pirq, flags),
                xc, domain, vector, pirq, flags);
    }

    @Override
    public synchronized void setPciIntxLevel(int domain, int bus, int device, int intx, boolean asserted) {
        setPciIntxLevel.call(() -> String.format("domain %d, %02x:%02x INT%c, %d", domain, bus, device, 'A' + intx,
                asserted ? 1 : 0), dm, (short) domain, (short) 0, (byte) bus, (byte) device, (byte) intx, asserted ? 1 : 0);
    }

    @Override
    public synchronized void injectMsi(int domain, long address, int data) {
        injectMsi.call(() -> String.format("domain %d, address 0x%x, data 0x%x", domain, address, data), dm, (short) domain,
                address, data);
    }

    @Override
    public synchronized void close() {
        closeDeviceModel.call(() -> "", dm);
        closeControl.call(() -> "", xc);
    }
}
