package dev.passthru.vfio;

import dev.passthru.pci.PciAddress;

/**
 * struct vfio_pci_hot_reset_info, for VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: the functions a hot
 * reset of the device's bus (or slot) would reset, each with its IOMMU group. Room is made for
 * a whole bus, so that one call is enough (the kernel answers ENOSPC to a struct too small).
 * <pre>
 *   0 argsz | 4 flags | 8 count | 12 devices[count]: 0 group_id | 4 segment (u16) | 6 bus (u8) | 7 devfn (u8) | 8
 * </pre>
 */
final class HotResetInfo extends VfioStruct {

    static final int COUNT_OFFSET = 8;
    static final int DEVICES_OFFSET = 12;
    static final int DEVICE_SIZE = 8;
    /** Where struct vfio_pci_hot_reset's group_fds[] start, after argsz, flags and count. */
    static final int GROUP_FDS_OFFSET = 12;
    /** Every devfn of one bus. */
    private static final int MOST = 256;

    HotResetInfo() {
        super(DEVICES_OFFSET + MOST * DEVICE_SIZE);
    }

    int count() {
        return Math.min(getInt(COUNT_OFFSET), MOST);
    }

    int group(int i) {
        return getInt(DEVICES_OFFSET + i * DEVICE_SIZE);
    }

    PciAddress address(int i) {
        int at = DEVICES_OFFSET + i * DEVICE_SIZE;
        int segment = getInt(at + 4) & 0xffff;
        int bus = (getInt(at + 4) >>> 16) & 0xff;
        int devfn = getInt(at + 4) >>> 24;
        return new PciAddress(segment, bus, devfn >>> 3, devfn & 7);
    }

    /** struct vfio_pci_hot_reset naming the one group whose functions are reset: argsz, flags, count 1, group_fds[1]. */
    static byte[] reset(int groupFd) {
        VfioStruct reset = new VfioStruct(16);
        reset.putInt(COUNT_OFFSET, 1);
        reset.putInt(GROUP_FDS_OFFSET, groupFd);
        return reset.bytes();
    }
}
