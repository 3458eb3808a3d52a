package dev.passthru.vfio;

import dev.passthru.InputError;
import dev.passthru.os.NativeCallFailed;
import dev.passthru.pci.PciAddress;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * An IOMMU group opened through VFIO with its container, shared by every function opened from
 * it: the kernel lets /dev/vfio/N be opened once, so a GPU and its audio function, one group,
 * must get their device descriptors from the same group descriptor. The group is opened, put in
 * a new container and the container's IOMMU set when its first function is taken; it counts its
 * functions, and when the last is given back it unmaps what DMA is left, takes the group out of
 * the container and closes both. DMA mappings are the container's, so every function of the
 * group sees each one. Groups are kept per {@link VfioCalls}: what opens through the same calls
 * shares them.
 */
final class VfioGroup {

    private static final int EBUSY = 16;
    /** The open groups, by calls and group number; guarded by its own lock. */
    private static final Map<VfioCalls, Map<String, VfioGroup>> OPEN = new WeakHashMap<>();
    private static final String CONTAINER = "/dev/vfio/vfio";

    private final VfioCalls calls;
    private final String number;
    private final String path;
    private final String containerName;
    private final int container;
    private final int group;
    /** Functions taken and not given back; guarded by {@link #OPEN}. */
    private int users;
    private final List<VfioDevice.DmaMapping> dma = new ArrayList<>();
    /** Functions of the group that a guest has now, which a hot reset of the bus must not hit. */
    private final Set<PciAddress> withGuest = new HashSet<>();
    /** Functions a hot reset of the bus reset that no guest has had since. */
    private final Set<PciAddress> hotReset = new HashSet<>();

    private VfioGroup(VfioCalls calls, String number, int container, int group) {
        this.calls = calls;
        this.number = number;
        this.path = "/dev/vfio/" + number;
        this.containerName = "the container of group " + number;
        this.container = container;
        this.group = group;
    }

    /**
     * The group {@code number}, opened for {@code address} (named in what goes wrong) or already
     * open, with one more user: each take is given back with {@link #give}.
     */
    static VfioGroup take(VfioCalls calls, String number, PciAddress address) {
        synchronized (OPEN) {
            Map<String, VfioGroup> groups = OPEN.computeIfAbsent(calls, c -> new HashMap<>());
            VfioGroup open = groups.get(number);
            if (open == null) {
                open = open(calls, number, address);
                groups.put(number, open);
            }
            open.users++;
            return open;
        }
    }

    /** Container and group opened the way the VFIO documentation lays out; nothing stays open if a step fails. */
    private static VfioGroup open(VfioCalls calls, String number, PciAddress address) {
        int container = calls.open(CONTAINER);
        int group = -1;
        try {
            int version = calls.ioctl(container, Vfio.GET_API_VERSION, 0, CONTAINER);
            if (version != Vfio.API_VERSION) {
                throw new InputError(CONTAINER + " speaks VFIO API " + version + ", passthru speaks " + Vfio.API_VERSION);
            }
            int type = calls.ioctl(container, Vfio.CHECK_EXTENSION, Vfio.TYPE1V2_IOMMU, CONTAINER) > 0
                    ? Vfio.TYPE1V2_IOMMU : calls.ioctl(container, Vfio.CHECK_EXTENSION, Vfio.TYPE1_IOMMU, CONTAINER) > 0
                    ? Vfio.TYPE1_IOMMU : 0;
            if (type == 0) {
                throw new InputError(CONTAINER + " offers no type1 IOMMU");
            }
            String path = "/dev/vfio/" + number;
            group = calls.open(path);
            VfioStruct status = new VfioStruct(8);
            calls.ioctl(group, Vfio.GROUP_GET_STATUS, status.bytes(), path);
            if ((status.flags() & Vfio.GROUP_FLAGS_VIABLE) == 0) {
                throw new InputError("IOMMU group " + number + " of " + address + " is not viable: bind every "
                        + "function of the group to vfio-pci (or unbind it from its driver)");
            }
            calls.ioctl(group, Vfio.GROUP_SET_CONTAINER, VfioStruct.int32(container), path);
            try {
                calls.ioctl(container, Vfio.SET_IOMMU, type, CONTAINER);
            } catch (RuntimeException e) {
                calls.ioctl(group, Vfio.GROUP_UNSET_CONTAINER, VfioStruct.int32(container), path);
                throw e;
            }
            return new VfioGroup(calls, number, container, group);
        } catch (RuntimeException e) {
            if (group >= 0) {
                calls.close(group);
            }
            calls.close(container);
            throw e;
        }
    }

    String number() {
        return number;
    }

    /** The group descriptor, which VFIO_DEVICE_PCI_HOT_RESET is given to prove the group is held. */
    int descriptor() {
        return group;
    }

    /** {@code address}'s device descriptor (VFIO_GROUP_GET_DEVICE_FD); the caller closes it with {@link #give}. */
    int device(PciAddress address) {
        byte[] name = (address + "\0").getBytes(StandardCharsets.US_ASCII);
        return calls.ioctl(group, Vfio.GROUP_GET_DEVICE_FD, name, path);
    }

    /**
     * Gives back one take: closes {@code device} (a descriptor from {@link #device}, or -1 where
     * none was had); the last closes the group and its container, DMA unmapped first.
     */
    void give(int device) {
        synchronized (OPEN) {
            try {
                if (device >= 0) {
                    calls.close(device);
                }
            } finally {
                if (--users == 0) {
                    Map<String, VfioGroup> groups = OPEN.get(calls);
                    if (groups != null) {
                        groups.remove(number);
                    }
                    closeAll();
                }
            }
        }
    }

    private void closeAll() {
        try {
            for (VfioDevice.DmaMapping m : dmaMappings()) {
                unmapDma(m.iova(), m.size());
            }
            try {
                calls.ioctl(group, Vfio.GROUP_UNSET_CONTAINER, VfioStruct.int32(container), path);
            } catch (NativeCallFailed e) {
                // EBUSY: a process given the device's descriptor (a vfio-user client) still holds it;
                // closing group and container lets the kernel take them apart once it lets go
                if (e.errno() != EBUSY) {
                    throw e;
                }
            }
        } finally {
            calls.close(group);
            calls.close(container);
        }
    }

    /** Functions taken and not yet given back. */
    int users() {
        synchronized (OPEN) {
            return users;
        }
    }

    /**
     * Lets the group's functions reach {@code size} bytes of this process at {@code vaddr} as
     * {@code iova}; {@code by} names who asked where the range overlaps a mapping of the container.
     */
    synchronized void mapDma(String by, long vaddr, long iova, long size) {
        for (VfioDevice.DmaMapping m : dma) {
            if (iova < m.iova() + m.size() && m.iova() < iova + size) {
                throw new InputError(String.format("%s: DMA range 0x%x+0x%x overlaps the mapping at 0x%x+0x%x",
                        by, iova, size, m.iova(), m.size()));
            }
        }
        calls.ioctl(container, Vfio.IOMMU_MAP_DMA, DmaMap.map(vaddr, iova, size).bytes(), containerName);
        dma.add(new VfioDevice.DmaMapping(vaddr, iova, size));
    }

    synchronized void unmapDma(long iova, long size) {
        calls.ioctl(container, Vfio.IOMMU_UNMAP_DMA, DmaMap.unmap(iova, size).bytes(), containerName);
        dma.removeIf(m -> m.iova() == iova && m.size() == size);
    }

    synchronized List<VfioDevice.DmaMapping> dmaMappings() {
        return List.copyOf(dma);
    }

    /** Marks a function of the group as a guest's now (or no longer), for {@link #othersWithGuest}. */
    synchronized void withGuest(PciAddress address, boolean given) {
        if (given) {
            withGuest.add(address);
            hotReset.remove(address);
        } else {
            withGuest.remove(address);
        }
    }

    /** A hot reset of the bus reset these functions (every function on it). */
    synchronized void hotReset(List<PciAddress> reset) {
        hotReset.addAll(reset);
    }

    /** Whether a hot reset reset {@code address} and no guest has had it since. */
    synchronized boolean hotResetSinceGuest(PciAddress address) {
        return hotReset.contains(address);
    }

    /** The group's functions other than {@code address} that a guest has now. */
    synchronized List<PciAddress> othersWithGuest(PciAddress address) {
        return withGuest.stream().filter(a -> !a.equals(address)).sorted().toList();
    }
}
