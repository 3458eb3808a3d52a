package dev.passthru.vfio;

import dev.passthru.InputError;
import dev.passthru.pci.PciAddress;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One PCI function opened through Linux VFIO: container, group and device descriptors, the
 * regions (config, BARs, ROM) with their sizes and flags, config and BAR access by pread and
 * pwrite, interrupts by eventfd, reset, and DMA mappings. Opening checks what can be checked
 * and says what is wrong: no VFIO, an API or IOMMU type it does not speak, a group that is not
 * viable (a function of it not bound to vfio-pci). BARs the kernel lets be mapped are mapped
 * and reached by loads and stores; the others, and config space, by pread and pwrite.
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

    private final VfioCalls calls;
    private final PciAddress address;
    private final int container;
    private final int group;
    private final int device;
    private final int flags;
    private final List<Region> regions;
    private final List<Irq> irqs;
    private final List<DmaMapping> dma = new ArrayList<>();
    /** Per BAR region: its mapped address, 0 not yet tried, -1 not mappable. */
    private final long[] mappings = new long[Vfio.PCI_ROM_REGION_INDEX];

    private VfioDevice(VfioCalls calls, PciAddress address, int container, int group, int device, int flags,
                       List<Region> regions, List<Irq> irqs) {
        this.calls = calls;
        this.address = address;
        this.container = container;
        this.group = group;
        this.device = device;
        this.flags = flags;
        this.regions = regions;
        this.irqs = irqs;
    }

    /** Opens {@code address}, whose IOMMU group is {@code groupNumber}, the way the VFIO documentation lays out. */
    public static VfioDevice open(VfioCalls calls, PciAddress address, String groupNumber) {
        int container = calls.open("/dev/vfio/vfio");
        int group = -1;
        try {
            int version = calls.ioctl(container, Vfio.GET_API_VERSION, 0, "/dev/vfio/vfio");
            if (version != Vfio.API_VERSION) {
                throw new InputError("/dev/vfio/vfio speaks VFIO API " + version + ", passthru speaks " + Vfio.API_VERSION);
            }
            int type = calls.ioctl(container, Vfio.CHECK_EXTENSION, Vfio.TYPE1V2_IOMMU, "/dev/vfio/vfio") > 0
                    ? Vfio.TYPE1V2_IOMMU : calls.ioctl(container, Vfio.CHECK_EXTENSION, Vfio.TYPE1_IOMMU, "/dev/vfio/vfio") > 0
                    ? Vfio.TYPE1_IOMMU : 0;
            if (type == 0) {
                throw new InputError("/dev/vfio/vfio offers no type1 IOMMU");
            }
            String groupPath = "/dev/vfio/" + groupNumber;
            group = calls.open(groupPath);
            byte[] status = struct(8);
            calls.ioctl(group, Vfio.GROUP_GET_STATUS, status, groupPath);
            if ((le(status).getInt(4) & Vfio.GROUP_FLAGS_VIABLE) == 0) {
                throw new InputError("IOMMU group " + groupNumber + " of " + address + " is not viable: bind every "
                        + "function of the group to vfio-pci (or unbind it from its driver)");
            }
            byte[] containerFd = new byte[4];
            le(containerFd).putInt(0, container);
            calls.ioctl(group, Vfio.GROUP_SET_CONTAINER, containerFd, groupPath);
            calls.ioctl(container, Vfio.SET_IOMMU, type, "/dev/vfio/vfio");
            byte[] name = (address + "\0").getBytes(StandardCharsets.US_ASCII);
            int device = calls.ioctl(group, Vfio.GROUP_GET_DEVICE_FD, name, groupPath);
            byte[] info = struct(16);
            calls.ioctl(device, Vfio.DEVICE_GET_INFO, info, address.toString());
            ByteBuffer i = le(info);
            List<Region> regions = new ArrayList<>();
            for (int index = 0; index < Math.min(i.getInt(8), 9); index++) {
                regions.add(region(calls, device, address, index));
            }
            List<Irq> irqs = new ArrayList<>();
            for (int index = 0; index < i.getInt(12); index++) {
                irqs.add(irq(calls, device, address, index));
            }
            return new VfioDevice(calls, address, container, group, device, i.getInt(4), List.copyOf(regions), List.copyOf(irqs));
        } catch (RuntimeException e) {
            if (group >= 0) {
                calls.close(group);
            }
            calls.close(container);
            throw e;
        }
    }

    /** A region's info; one the device does not have (the VGA region of a non-VGA function: EINVAL) is empty. */
    private static Region region(VfioCalls calls, int device, PciAddress address, int index) {
        byte[] region = struct(32);
        le(region).putInt(8, index);
        try {
            calls.ioctl(device, Vfio.DEVICE_GET_REGION_INFO, region, address.toString());
        } catch (VfioException e) {
            if (e.errno() == EINVAL) {
                return new Region(index, 0, 0, 0);
            }
            throw e;
        }
        ByteBuffer r = le(region);
        return new Region(index, r.getLong(16), r.getLong(24), r.getInt(4));
    }

    /** An interrupt index's info; one the device lacks (error reporting on conventional PCI: EINVAL) has no vectors. */
    private static Irq irq(VfioCalls calls, int device, PciAddress address, int index) {
        byte[] irq = struct(16);
        le(irq).putInt(8, index);
        try {
            calls.ioctl(device, Vfio.DEVICE_GET_IRQ_INFO, irq, address.toString());
        } catch (VfioException e) {
            if (e.errno() == EINVAL) {
                return new Irq(index, 0, 0);
            }
            throw e;
        }
        return new Irq(index, le(irq).getInt(12), le(irq).getInt(4));
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
                    ? calls.map(device, region.size(), region.offset(), address + " region " + index) : 0;
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
        Region region = regions.get(index);
        byte[] bytes = new byte[8];
        calls.pread(device, bytes, width, region.offset() + offset, address + " region " + index);
        return le(bytes).getLong(0) & (width == 8 ? -1L : (1L << (8 * width)) - 1);
    }

    public void write(int index, long offset, int width, long value) {
        long at = mapped(index);
        if (at != 0 && (width == 1 || width == 2 || width == 4 || width == 8)) {
            calls.store(at + offset, width, value);
            return;
        }
        Region region = regions.get(index);
        byte[] bytes = new byte[8];
        le(bytes).putLong(0, value);
        calls.pwrite(device, bytes, width, region.offset() + offset, address + " region " + index);
    }

    /** Routes interrupt {@code index} (INTx, MSI, MSI-X) vectors 0.. to these eventfds. */
    public void enableInterrupts(int index, int... eventfds) {
        byte[] set = struct(20 + 4 * eventfds.length);
        ByteBuffer s = le(set);
        s.putInt(4, Vfio.IRQ_SET_DATA_EVENTFD | Vfio.IRQ_SET_ACTION_TRIGGER).putInt(8, index).putInt(12, 0)
                .putInt(16, eventfds.length);
        for (int i = 0; i < eventfds.length; i++) {
            s.putInt(20 + 4 * i, eventfds[i]);
        }
        calls.ioctl(device, Vfio.DEVICE_SET_IRQS, set, address.toString());
    }

    /** Turns interrupt {@code index} off. */
    public void disableInterrupts(int index) {
        byte[] set = struct(20);
        le(set).putInt(4, Vfio.IRQ_SET_DATA_NONE | Vfio.IRQ_SET_ACTION_TRIGGER).putInt(8, index);
        calls.ioctl(device, Vfio.DEVICE_SET_IRQS, set, address.toString());
    }

    /** Unmasks INTx after it fired (VFIO masks it on delivery). */
    public void unmaskIntx() {
        byte[] set = struct(20);
        le(set).putInt(4, Vfio.IRQ_SET_DATA_NONE | Vfio.IRQ_SET_ACTION_UNMASK).putInt(8, Vfio.PCI_INTX_IRQ_INDEX)
                .putInt(16, 1);
        calls.ioctl(device, Vfio.DEVICE_SET_IRQS, set, address.toString());
    }

    public void reset() {
        if ((flags & Vfio.DEVICE_FLAGS_RESET) == 0) {
            throw new InputError(address + " has no reset VFIO can do (no FLR, PM or bus reset)");
        }
        calls.ioctl(device, Vfio.DEVICE_RESET, 0, address.toString());
    }

    /** Lets the device reach {@code size} bytes of this process at {@code vaddr} as {@code iova}. */
    public void mapDma(long vaddr, long iova, long size) {
        for (DmaMapping m : dma) {
            if (iova < m.iova() + m.size() && m.iova() < iova + size) {
                throw new InputError(String.format("%s: DMA range 0x%x+0x%x overlaps the mapping at 0x%x+0x%x",
                        address, iova, size, m.iova(), m.size()));
            }
        }
        byte[] map = struct(32);
        le(map).putInt(4, Vfio.DMA_MAP_FLAG_READ_WRITE).putLong(8, vaddr).putLong(16, iova).putLong(24, size);
        calls.ioctl(container, Vfio.IOMMU_MAP_DMA, map, "the container of " + address);
        dma.add(new DmaMapping(vaddr, iova, size));
    }

    public void unmapDma(long iova, long size) {
        byte[] unmap = struct(24);
        le(unmap).putLong(8, iova).putLong(16, size);
        calls.ioctl(container, Vfio.IOMMU_UNMAP_DMA, unmap, "the container of " + address);
        dma.removeIf(m -> m.iova() == iova && m.size() == size);
    }

    public List<DmaMapping> dmaMappings() {
        return List.copyOf(dma);
    }

    /** Unmaps DMA, closes the device, takes the group out of the container, closes both. */
    @Override
    public void close() {
        for (DmaMapping m : List.copyOf(dma)) {
            unmapDma(m.iova(), m.size());
        }
        for (int i = 0; i < mappings.length; i++) {
            if (mappings[i] > 0) {
                calls.unmap(mappings[i], regions.get(i).size());
            }
        }
        calls.close(device);
        byte[] containerFd = new byte[4];
        le(containerFd).putInt(0, container);
        calls.ioctl(group, Vfio.GROUP_UNSET_CONTAINER, containerFd, "/dev/vfio group of " + address);
        calls.close(group);
        calls.close(container);
    }

    /** A struct buffer of {@code size} bytes with argsz set, as every VFIO struct starts. */
    private static byte[] struct(int size) {
        byte[] bytes = new byte[size];
        le(bytes).putInt(0, size);
        return bytes;
    }

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
}
