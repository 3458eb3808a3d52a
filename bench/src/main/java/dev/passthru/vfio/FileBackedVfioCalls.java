package dev.passthru.vfio;

import java.nio.file.Path;

/**
 * VFIO with a plain file standing in for the device, for benchmarks on machines without
 * /dev/vfio: the open sequence's ioctls are answered here (API 0, type1v2, a viable group, a
 * device whose regions have the sizes given, readable and writable, none mappable, and three
 * interrupt indexes without vectors), and
 * VFIO_GROUP_GET_DEVICE_FD opens the file for real. Everything a guest access does after that
 * (pread and pwrite at region offsets of the device fd) is {@link ForeignVfioCalls}' own code on
 * that file descriptor, inherited, as it runs on a real device. It lives in this package to
 * read and fill the structs with the flyweights the device itself uses.
 */
public final class FileBackedVfioCalls extends ForeignVfioCalls {

    /** Where region {@code n} lies in the file: {@code n * REGION_STRIDE}, room for a 4 MiB ROM. */
    public static final long REGION_STRIDE = 8L << 20;
    public static final int CONFIG_REGION = Vfio.PCI_CONFIG_REGION_INDEX;
    public static final long CONFIG_SIZE = 4096;
    private static final int IRQ_INDEXES = 3;
    /** Stand-ins for the container and group descriptors, which nothing reads or writes. */
    private static final int CONTAINER = Integer.MAX_VALUE - 1;
    private static final int GROUP = Integer.MAX_VALUE;

    private final Path device;
    private final long[] sizes;

    /** {@code barSizes}: BARs 0-5 and the ROM (index 6); the config region is 4 KiB. */
    public FileBackedVfioCalls(Path device, long[] barSizes) {
        this.device = device;
        this.sizes = new long[CONFIG_REGION + 1];
        System.arraycopy(barSizes, 0, sizes, 0, Math.min(barSizes.length, CONFIG_REGION));
        sizes[CONFIG_REGION] = CONFIG_SIZE;
    }

    @Override
    public int open(String path) {
        return path.equals("/dev/vfio/vfio") ? CONTAINER : GROUP;
    }

    @Override
    public void close(int fd) {
        if (fd != CONTAINER && fd != GROUP) {
            super.close(fd);
        }
    }

    @Override
    public int ioctl(int fd, long request, long argument, String what) {
        return request == Vfio.CHECK_EXTENSION && argument == Vfio.TYPE1V2_IOMMU ? 1 : 0;
    }

    @Override
    public int ioctl(int fd, long request, byte[] struct, String what) {
        if (request == Vfio.GROUP_GET_STATUS) {
            VfioStruct.LE_INT.set(struct, VfioStruct.FLAGS_OFFSET, Vfio.GROUP_FLAGS_VIABLE);
        } else if (request == Vfio.GROUP_GET_DEVICE_FD) {
            return super.open(device.toString());
        } else if (request == Vfio.DEVICE_GET_INFO) {
            VfioStruct.LE_INT.set(struct, DeviceInfo.NUM_REGIONS_OFFSET, CONFIG_REGION + 1);
            VfioStruct.LE_INT.set(struct, DeviceInfo.NUM_IRQS_OFFSET, IRQ_INDEXES);
        } else if (request == Vfio.DEVICE_GET_REGION_INFO) {
            int index = (int) VfioStruct.LE_INT.get(struct, RegionInfo.INDEX_OFFSET);
            long size = sizes[index];
            VfioStruct.LE_INT.set(struct, VfioStruct.FLAGS_OFFSET,
                    size == 0 ? 0 : Vfio.REGION_INFO_FLAG_READ | Vfio.REGION_INFO_FLAG_WRITE);
            VfioStruct.LE_LONG.set(struct, RegionInfo.SIZE_OFFSET, size);
            VfioStruct.LE_LONG.set(struct, RegionInfo.OFFSET_OFFSET, index * REGION_STRIDE);
        }
        return 0;
    }

    @Override
    public long map(int fd, long size, long offset, String what) {
        return 0;
    }

    @Override
    public void unmap(long address, long size) {
        throw new UnsupportedOperationException("nothing is mapped");
    }

    @Override
    public long load(long address, int width) {
        throw new UnsupportedOperationException("nothing is mapped");
    }

    @Override
    public void store(long address, int width, long value) {
        throw new UnsupportedOperationException("nothing is mapped");
    }

    @Override
    public long allocate(long size) {
        throw new UnsupportedOperationException("no DMA in a benchmark");
    }

    @Override
    public void copyIn(long address, byte[] from) {
        throw new UnsupportedOperationException("no DMA in a benchmark");
    }

    @Override
    public void copyOut(long address, byte[] into) {
        throw new UnsupportedOperationException("no DMA in a benchmark");
    }
}
