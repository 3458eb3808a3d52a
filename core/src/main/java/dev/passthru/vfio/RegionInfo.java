package dev.passthru.vfio;

/**
 * struct vfio_region_info, for VFIO_DEVICE_GET_REGION_INFO: the caller sets index, the kernel
 * fills in the rest.
 * <pre>
 *   0        4        8        12           16             24             32
 *   | argsz  | flags  | index  | cap_offset | size (u64)   | offset (u64) |
 * </pre>
 */
final class RegionInfo extends VfioStruct {

    static final int INDEX_OFFSET = 8;
    static final int SIZE_OFFSET = 16;
    static final int OFFSET_OFFSET = 24;
    static final int SIZE = 32;

    RegionInfo(int index) {
        super(SIZE);
        putInt(INDEX_OFFSET, index);
    }

    long size() {
        return getLong(SIZE_OFFSET);
    }

    /** Where the region lies in the device file, for pread, pwrite and mmap. */
    long offset() {
        return getLong(OFFSET_OFFSET);
    }
}
