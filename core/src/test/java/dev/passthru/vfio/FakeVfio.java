package dev.passthru.vfio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * An in-memory VFIO kernel for unit tests with one function in IOMMU group 7, shaped like QEMU's
 * {@code edu}: 1234:11e8, BAR 0 of 1 MiB whose register 0 reads 0x010000ed and whose register
 * 0x08 computes the factorial of what is written to it; MSI and INTx. Regions lie at
 * {@code index << 40} in the device file, as vfio-pci places them.
 */
final class FakeVfio implements VfioCalls {

    static final String ADDRESS = "0000:00:03.0";
    private static final long REGION_SHIFT = 40;

    final byte[] config = new byte[256];
    final Set<Integer> open = new HashSet<>();
    final Map<Long, Integer> ioctls = new HashMap<>();
    boolean viable = true;
    boolean resettable = false;
    private long factorialInput;
    private int next = 10;
    private int container = -1;
    private int group = -1;
    private int device = -1;

    FakeVfio() {
        ByteBuffer c = ByteBuffer.wrap(config).order(ByteOrder.LITTLE_ENDIAN);
        c.putShort(0, (short) 0x1234).putShort(2, (short) 0x11e8).put(8, (byte) 0x10).putShort(10, (short) 0x00ff);
        c.put(0x3d, (byte) 1);
    }

    @Override
    public int open(String path) {
        int fd = next++;
        switch (path) {
            case "/dev/vfio/vfio" -> container = fd;
            case "/dev/vfio/7" -> group = fd;
            default -> throw new VfioException("open", path, 2);
        }
        open.add(fd);
        return fd;
    }

    @Override
    public void close(int fd) {
        if (!open.remove(fd)) {
            throw new VfioException("close", "fd " + fd, 9);
        }
    }

    @Override
    public int ioctl(int fd, long request, long argument, String what) {
        ioctls.merge(request, 1, Integer::sum);
        if (request == Vfio.GET_API_VERSION) {
            return Vfio.API_VERSION;
        }
        if (request == Vfio.CHECK_EXTENSION) {
            return argument == Vfio.TYPE1V2_IOMMU ? 1 : 0;
        }
        if (request == Vfio.DEVICE_RESET && !resettable) {
            throw new VfioException(Vfio.name(request), what, 25);
        }
        return 0;
    }

    @Override
    public int ioctl(int fd, long request, byte[] struct, String what) {
        ioctls.merge(request, 1, Integer::sum);
        ByteBuffer s = ByteBuffer.wrap(struct).order(ByteOrder.LITTLE_ENDIAN);
        if (request == Vfio.GROUP_GET_STATUS) {
            s.putInt(4, viable ? Vfio.GROUP_FLAGS_VIABLE : 0);
        } else if (request == Vfio.GROUP_GET_DEVICE_FD) {
            if (!new String(struct, 0, struct.length - 1).equals(ADDRESS)) {
                throw new VfioException(Vfio.name(request), what, 22);
            }
            device = next++;
            open.add(device);
            return device;
        } else if (request == Vfio.DEVICE_GET_INFO) {
            s.putInt(4, 2 | (resettable ? 1 : 0)).putInt(8, 9).putInt(12, 5);
        } else if (request == Vfio.DEVICE_GET_REGION_INFO) {
            int index = s.getInt(8);
            long size = index == 0 ? 1 << 20 : index == 7 ? 256 : 0;
            s.putInt(4, size == 0 ? 0 : Vfio.REGION_INFO_FLAG_READ | Vfio.REGION_INFO_FLAG_WRITE | (index == 0 ? 4 : 0))
                    .putLong(16, size).putLong(24, (long) index << REGION_SHIFT);
        } else if (request == Vfio.DEVICE_GET_IRQ_INFO) {
            int index = s.getInt(8);
            s.putInt(12, index <= 1 ? 1 : 0);
        }
        return 0;
    }

    @Override
    public int pread(int fd, byte[] into, int length, long offset, String what) {
        long region = offset >>> REGION_SHIFT;
        long at = offset & ((1L << REGION_SHIFT) - 1);
        if (region == 7) {
            System.arraycopy(config, (int) at, into, 0, length);
        } else if (region == 0) {
            long value = at == 0 ? 0x010000edL : at == 8 ? factorial(factorialInput) : 0;
            ByteBuffer.wrap(into).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value);
        }
        return length;
    }

    @Override
    public int pwrite(int fd, byte[] from, int length, long offset, String what) {
        long region = offset >>> REGION_SHIFT;
        long at = offset & ((1L << REGION_SHIFT) - 1);
        if (region == 7) {
            System.arraycopy(from, 0, config, (int) at, length);
        } else if (region == 0 && at == 8) {
            factorialInput = ByteBuffer.wrap(from).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        }
        return length;
    }

    private static long factorial(long n) {
        long f = 1;
        for (long i = 2; i <= n; i++) {
            f *= i;
        }
        return f;
    }

    @Override
    public long map(int fd, long size, long offset, String what) {
        return 0;
    }

    @Override
    public void unmap(long address, long size) {
        throw new IllegalStateException("the fake maps nothing");
    }

    @Override
    public long load(long address, int width) {
        throw new IllegalStateException("the fake maps nothing");
    }

    @Override
    public void store(long address, int width, long value) {
        throw new IllegalStateException("the fake maps nothing");
    }

    @Override
    public int eventfd() {
        int fd = next++;
        open.add(fd);
        return fd;
    }

    @Override
    public long drain(int eventfd) {
        return 0;
    }

    @Override
    public long allocate(long size) {
        return 0x7f00_0000_0000L;
    }

    @Override
    public void copyIn(long address, byte[] from) {
    }

    @Override
    public void copyOut(long address, byte[] into) {
    }
}
