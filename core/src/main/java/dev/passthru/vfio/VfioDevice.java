package dev.passthru.vfio;

import dev.passthru.os.ErrnoNames;
import dev.passthru.os.NativeCallFailed;
import dev.passthru.pci.PciAddress;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One PCI function opened through Linux VFIO: its device descriptor, got from its IOMMU group
 * (a {@link VfioGroup}, shared with the other functions opened from the group, and with it the
 * container and its DMA mappings), the regions (config, BARs, ROM) with their sizes and flags,
 * config and BAR access by pread and pwrite, interrupts by eventfd, reset, and DMA mappings.
 * Opening checks what can be checked and says what is wrong: no VFIO, an API or IOMMU type it
 * does not speak, a group that is not viable (a function of it not bound to vfio-pci). BARs the
 * kernel lets be mapped are mapped and reached by loads and stores; the others, and config
 * space, by pread and pwrite. An access allocates nothing: what it is on is named once at open,
 * its bytes pass through a buffer of the calling thread's, and the INTx unmask is one
 * {@link IrqSet} made at open.
 */
public final class VfioDevice implements AutoCloseable {

    /** A region of the device: where it lies in the device file, how large, what it allows. */
    public record Region(int index, long size, long offset, int flags) {
        public boolean readable() {
            return (flags & Vfio.REGION_INFO_FLAG_READ) != 0;
        }

        public boolean mappable() {
            return (flags & Vfio.REGION_INFO_FLAG_MMAP) != 0;
        }
    }

    /** An interrupt index of the device and how many vectors it has (0: none). */
    public record Irq(int index, int count, int flags) {
    }

    /** A DMA mapping: process memory at {@code vaddr} seen by the device at {@code iova}. */
    public record DmaMapping(long vaddr, long iova, long size) {
    }

    private static final int EINVAL = 22;
    /** Each thread's buffer for the bytes of one pread or pwrite (at most 8). */
    private static final ThreadLocal<byte[]> ACCESS = ThreadLocal.withInitial(() -> new byte[8]);

    private final VfioCalls calls;
    private final PciAddress address;
    /** The address as text and each region's name, for the calls' failure messages. */
    private final String name;
    private final String[] regionNames;
    private final IrqSet unmaskIntx = IrqSet.unmask(Vfio.PCI_INTX_IRQ_INDEX);
    private final VfioGroup group;
    private final int device;
    private final int flags;
    private final List<Region> regions;
    private final List<Irq> irqs;
    /** Per BAR region: its mapped address, 0 not yet tried, -1 not mappable. */
    private final long[] mappings = new long[Vfio.PCI_ROM_REGION_INDEX];
    private boolean closed;

    private VfioDevice(VfioCalls calls, PciAddress address, VfioGroup group, int device, int flags,
                       List<Region> regions, List<Irq> irqs) {
        this.calls = calls;
        this.address = address;
        this.name = address.toString();
        this.regionNames = regions.stream().map(r -> address + " region " + r.index()).toArray(String[]::new);
        this.group = group;
        this.device = device;
        this.flags = flags;
        this.regions = regions;
        this.irqs = irqs;
    }

    /**
     * Opens {@code address}, whose IOMMU group is {@code groupNumber}: the group and its container
     * are opened the way the VFIO documentation lays out, or shared where another function of the
     * group is open through the same calls.
     */
    public static VfioDevice open(VfioCalls calls, PciAddress address, String groupNumber) {
        VfioGroup group = VfioGroup.take(calls, groupNumber, address);
        int device = -1;
        try {
            device = group.device(address);
            DeviceInfo info = new DeviceInfo();
            calls.ioctl(device, Vfio.DEVICE_GET_INFO, info.bytes(), address.toString());
            List<Region> regions = new ArrayList<>();
            for (int index = 0; index < Math.min(info.regions(), 9); index++) {
                regions.add(region(calls, device, address, index));
            }
            List<Irq> irqs = new ArrayList<>();
            for (int index = 0; index < info.irqs(); index++) {
                irqs.add(irq(calls, device, address, index));
            }
            return new VfioDevice(calls, address, group, device, info.flags(), List.copyOf(regions), List.copyOf(irqs));
        } catch (RuntimeException e) {
            group.give(device);
            throw e;
        }
    }

    /** A region's info; one the device does not have (the VGA region of a non-VGA function: EINVAL) is empty. */
    private static Region region(VfioCalls calls, int device, PciAddress address, int index) {
        RegionInfo region = new RegionInfo(index);
        try {
            calls.ioctl(device, Vfio.DEVICE_GET_REGION_INFO, region.bytes(), address.toString());
        } catch (NativeCallFailed e) {
            if (e.errno() == EINVAL) {
                return new Region(index, 0, 0, 0);
            }
            throw e;
        }
        return new Region(index, region.size(), region.offset(), region.flags());
    }

    /** An interrupt index's info; one the device lacks (error reporting on conventional PCI: EINVAL) has no vectors. */
    private static Irq irq(VfioCalls calls, int device, PciAddress address, int index) {
        IrqInfo irq = new IrqInfo(index);
        try {
            calls.ioctl(device, Vfio.DEVICE_GET_IRQ_INFO, irq.bytes(), address.toString());
        } catch (NativeCallFailed e) {
            if (e.errno() == EINVAL) {
                return new Irq(index, 0, 0);
            }
            throw e;
        }
        return new Irq(index, irq.count(), irq.flags());
    }

    public List<Region> regions() {
        return regions;
    }

    public List<Irq> irqs() {
        return irqs;
    }

    public Region config() {
        return regions.get(Vfio.PCI_CONFIG_REGION_INDEX);
    }

    /**
     * The address where a mappable BAR region is mapped into this process, mapping it on first
     * use; 0 where the region is not mappable or the calls do not map (then pread and pwrite).
     */
    private long mapped(int index) {
        if (index >= mappings.length || mappings[index] < 0) {
            return 0;
        }
        if (mappings[index] == 0) {
            Region region = regions.get(index);
            mappings[index] = region.mappable() && region.size() > 0 && index < Vfio.PCI_ROM_REGION_INDEX
                    ? calls.map(device, region.size(), region.offset(), regionNames[index]) : 0;
            if (mappings[index] == 0) {
                mappings[index] = -1;
                return 0;
            }
        }
        return mappings[index];
    }

    /** Whether BAR {@code index} is reached through a mapping (else pread/pwrite). */
    public boolean mappedBar(int index) {
        return mapped(index) != 0;
    }

    /** Reads {@code width} bytes (1-8) at {@code offset} of region {@code index}, little-endian. */
    public long read(int index, long offset, int width) {
        long at = mapped(index);
        if (at != 0 && (width == 1 || width == 2 || width == 4 || width == 8)) {
            return calls.load(at + offset, width);
        }
        byte[] bytes = ACCESS.get();
        VfioStruct.LE_LONG.set(bytes, 0, 0L);
        calls.pread(device, bytes, width, regions.get(index).offset() + offset, regionNames[index]);
        return (long) VfioStruct.LE_LONG.get(bytes, 0) & (width == 8 ? -1L : (1L << (8 * width)) - 1);
    }

    public void write(int index, long offset, int width, long value) {
        long at = mapped(index);
        if (at != 0 && (width == 1 || width == 2 || width == 4 || width == 8)) {
            calls.store(at + offset, width, value);
            return;
        }
        byte[] bytes = ACCESS.get();
        VfioStruct.LE_LONG.set(bytes, 0, value);
        calls.pwrite(device, bytes, width, regions.get(index).offset() + offset, regionNames[index]);
    }

    /** Routes interrupt {@code index} (INTx, MSI, MSI-X) vectors 0.. to these eventfds. */
    public void enableInterrupts(int index, int... eventfds) {
        calls.ioctl(device, Vfio.DEVICE_SET_IRQS, IrqSet.trigger(index, eventfds).bytes(), name);
    }

    /**
     * VFIO_DEVICE_SET_IRQS as a vfio-user client asks it: {@code flags} (DATA_* | ACTION_*) on
     * vectors {@code start..start+count} of {@code index}, with an eventfd per vector for
     * DATA_EVENTFD (none for the other data kinds).
     */
    public void setIrqs(int flags, int index, int start, int count, int... eventfds) {
        calls.ioctl(device, Vfio.DEVICE_SET_IRQS, IrqSet.of(flags, index, start, count, eventfds).bytes(), name);
    }

    /** Turns interrupt {@code index} off. */
    public void disableInterrupts(int index) {
        calls.ioctl(device, Vfio.DEVICE_SET_IRQS, IrqSet.off(index).bytes(), name);
    }

    /** Unmasks INTx after it fired (VFIO masks it on delivery). */
    public void unmaskIntx() {
        calls.ioctl(device, Vfio.DEVICE_SET_IRQS, unmaskIntx.bytes(), name);
    }

    /** The VFIO device descriptor, for a server that hands it on (vfio-user); it stays this device's to close. */
    public int deviceFd() {
        return device;
    }

    /**
     * Resets the function the best way VFIO offers: its own reset (VFIO_DEVICE_RESET) where the
     * device has one, else a hot reset of its bus where every function on that bus is of this
     * group and no other function of the group is a guest's now (see {@link #withGuest}); else
     * nothing, and why. The kernel saves and restores config space around either reset.
     */
    public VfioReset reset() {
        if ((flags & Vfio.DEVICE_FLAGS_RESET) != 0) {
            calls.ioctl(device, Vfio.DEVICE_RESET, 0, name);
            return VfioReset.function();
        }
        HotResetInfo info = new HotResetInfo();
        try {
            calls.ioctl(device, Vfio.DEVICE_GET_PCI_HOT_RESET_INFO, info.bytes(), name);
        } catch (NativeCallFailed e) {
            // ENODEV where neither its slot nor its bus can be reset (a function on the root bus)
            return VfioReset.none("it has no function-level or power-management reset, and its bus cannot be reset "
                    + "(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: " + ErrnoNames.name(e.errno()) + ")");
        }
        List<String> foreign = new ArrayList<>();
        List<PciAddress> onBus = new ArrayList<>();
        for (int i = 0; i < info.count(); i++) {
            onBus.add(info.address(i));
            if (!Integer.toString(info.group(i)).equals(group.number())) {
                foreign.add(info.address(i) + " (group " + info.group(i) + ")");
            }
        }
        if (!foreign.isEmpty()) {
            return VfioReset.none("it has no function-level reset, and a hot reset of its bus would also reset "
                    + String.join(", ", foreign) + ", outside its group");
        }
        List<PciAddress> busy = group.othersWithGuest(address);
        if (!busy.isEmpty() && group.hotResetSinceGuest(address)) {
            // the functions of a slot are readied one by one: the first one's hot reset was the others' too
            return VfioReset.hot(group.number());
        }
        if (!busy.isEmpty()) {
            return VfioReset.none("it has no function-level reset, and a hot reset of its bus would also reset "
                    + busy.stream().map(PciAddress::toString).collect(Collectors.joining(", ")) + ", which a guest has");
        }
        calls.ioctl(device, Vfio.DEVICE_PCI_HOT_RESET, HotResetInfo.reset(group.descriptor()), name);
        group.hotReset(onBus);
        return VfioReset.hot(group.number());
    }

    /** Marks the function as a guest's now, or no longer: a hot reset for another function of the group waits for it. */
    public void withGuest(boolean given) {
        group.withGuest(address, given);
    }

    /**
     * Lets the device reach {@code size} bytes of this process at {@code vaddr} as {@code iova}:
     * a mapping of the group's container, which every function of the group sees.
     */
    public void mapDma(long vaddr, long iova, long size) {
        group.mapDma(name, vaddr, iova, size);
    }

    public void unmapDma(long iova, long size) {
        group.unmapDma(iova, size);
    }

    /** The DMA mappings of the group's container, whichever function made them. */
    public List<DmaMapping> dmaMappings() {
        return group.dmaMappings();
    }

    /**
     * Unmaps the BARs and closes the device, once; the group, its container and their DMA
     * mappings are given back with the group's last function.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (int i = 0; i < mappings.length; i++) {
                if (mappings[i] > 0) {
                    calls.unmap(mappings[i], regions.get(i).size());
                }
            }
        } finally {
            group.withGuest(address, false);
            group.give(device);
        }
    }
}
