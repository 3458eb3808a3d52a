package dev.passthru.vfio;

import dev.passthru.os.NativeCallFailed;
import dev.passthru.pci.PciAddress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An in-memory VFIO kernel for unit tests with one function in IOMMU group 7 (or several, each
 * the same device, as a GPU and its audio function share a group), shaped like QEMU's
 * {@code edu} behind vfio-pci: 1234:11e8, BAR 0 of 1 MiB at 0xfea00000 (mappable) whose register
 * 0 reads 0x010000ed, register 4 answers the inverse of what was written and register 8 the
 * factorial; INTx and one MSI vector. It answers as vfio-pci does where VfioCallsContract holds
 * both to the same cases: errno for a descriptor it does not know (EBADF), a request the
 * descriptor does not take (ENOTTY), a region or interrupt the device lacks, an access past a
 * BAR and a reset the device has none of (EINVAL), an access past config space (EFAULT), a
 * second open of the group (EBUSY); identity registers read-only and BAR 0 answering sizing
 * probes; eventfds that count what VFIO_DEVICE_SET_IRQS triggers. Regions lie at
 * {@code index << 40} in the device file, as vfio-pci places them. Resets: VFIO_DEVICE_RESET
 * where {@link #resettable}, and a hot reset of the bus where {@link #busResettable}, whose
 * functions are the group's and, with {@link #foreignOnBus}, one of group 8; both counted.
 */
final class FakeVfio implements VfioCalls {

    static final String ADDRESS = "0000:00:03.0";
    /** The second function of group 7, where the kernel is made with two. */
    static final String AUDIO = "0000:00:03.1";
    static final long BAR0_ADDRESS = 0xfea0_0000L;
    static final long BAR0_SIZE = 1 << 20;
    private static final String GROUP = "/dev/vfio/7";
    private static final long REGION_SHIFT = 40;
    private static final int CONFIG_SIZE = 256;
    private static final int REGIONS = 9;
    private static final int IRQS = 5;
    private static final int EBADF = 9;
    private static final int EFAULT = 14;
    private static final int EBUSY = 16;
    private static final int ENODEV = 19;
    private static final int EINVAL = 22;
    private static final int ENOENT = 2;
    private static final int ENOTTY = 25;
    private static final int ENOSPC = 28;
    private static final long MAPPED = 0x7e00_0000_0000L;
    private static final long MEMORY = 0x7f00_0000_0000L;

    enum Kind { CONTAINER, GROUP, DEVICE, EVENTFD }

    final byte[] config = new byte[CONFIG_SIZE];
    /** Open descriptors and what each is. */
    final Map<Integer, Kind> open = new HashMap<>();
    final Map<Long, Integer> ioctls = new HashMap<>();
    /** The functions of group 7. */
    final List<String> functions;
    boolean viable = true;
    boolean resettable = false;
    boolean busResettable = false;
    boolean foreignOnBus = false;
    /** VFIO_DEVICE_RESETs by function, and hot resets of the bus. */
    final Map<String, Integer> resets = new HashMap<>();
    int hotResets;
    /** The container's DMA mappings: size by IOVA. */
    final Map<Long, Long> dma = new TreeMap<>();
    /** The function each open device descriptor is of. */
    private final Map<Integer, String> devices = new HashMap<>();
    private final Map<Integer, Long> counters = new HashMap<>();
    /** Eventfds routed per interrupt index, by VFIO_DEVICE_SET_IRQS. */
    private final Map<Integer, int[]> routed = new HashMap<>();
    private final TreeMap<Long, byte[]> memory = new TreeMap<>();
    private long nextMemory = MEMORY;
    private boolean groupInContainer;
    private long factorialInput;
    private int liveness;
    private int next = 10;

    FakeVfio() {
        this(ADDRESS);
    }

    FakeVfio(String... functions) {
        this.functions = List.of(functions);
        ByteBuffer c = le(config);
        c.putShort(0, (short) 0x1234).putShort(2, (short) 0x11e8).put(8, (byte) 0x10).putShort(10, (short) 0x00ff);
        c.putInt(0x10, (int) BAR0_ADDRESS);
        c.put(0x3d, (byte) 1);
    }

    /**
     * The functions as the sysfs tree under {@code root} shows them: bound to vfio-pci, in group
     * 7, each function's BAR 0 placed after the one before it (config space through VFIO is
     * the same for all).
     */
    void writeSysfs(Path root) throws IOException {
        for (int i = 0; i < functions.size(); i++) {
            Path dir = Files.createDirectories(root.resolve("devices").resolve(functions.get(i)));
            long bar = BAR0_ADDRESS + i * BAR0_SIZE;
            byte[] own = config.clone();
            le(own).putInt(0x10, (int) bar);
            Files.write(dir.resolve("config"), own);
            StringBuilder resource = new StringBuilder(String.format("0x%016x 0x%016x 0x%016x%n",
                    bar, bar + BAR0_SIZE - 1, 0x40200));
            for (int line = 1; line < 13; line++) {
                resource.append(String.format("0x%016x 0x%016x 0x%016x%n", 0, 0, 0));
            }
            Files.writeString(dir.resolve("resource"), resource, StandardCharsets.US_ASCII);
            Files.writeString(dir.resolve("driver.name"), "vfio-pci\n");
            Files.writeString(dir.resolve("iommu_group.name"), "7\n");
        }
    }

    /** How many descriptors of this kind are open. */
    long opened(Kind kind) {
        return open.values().stream().filter(kind::equals).count();
    }

    @Override
    public synchronized int open(String path) {
        Kind kind = switch (path) {
            case "/dev/vfio/vfio" -> Kind.CONTAINER;
            case GROUP -> Kind.GROUP;
            default -> throw new NativeCallFailed("open", path, ENOENT);
        };
        if (kind == Kind.GROUP && open.containsValue(Kind.GROUP)) {
            throw new NativeCallFailed("open", path, EBUSY);
        }
        return descriptor(kind);
    }

    private int descriptor(Kind kind) {
        int fd = next++;
        open.put(fd, kind);
        return fd;
    }

    @Override
    public synchronized void close(int fd) {
        Kind kind = open.remove(fd);
        if (kind == null) {
            throw new NativeCallFailed("close", "fd " + fd, EBADF);
        }
        if (kind == Kind.GROUP) {
            groupInContainer = false;
            dma.clear();
        } else if (kind == Kind.DEVICE) {
            devices.remove(fd);
        } else if (kind == Kind.EVENTFD) {
            counters.remove(fd);
        }
    }

    @Override
    public synchronized int ioctl(int fd, long request, long argument, String what) {
        ioctls.merge(request, 1, Integer::sum);
        Kind kind = kind(fd, Vfio.name(request), what);
        if (kind == Kind.CONTAINER && request == Vfio.GET_API_VERSION) {
            return Vfio.API_VERSION;
        }
        if (kind == Kind.CONTAINER && request == Vfio.CHECK_EXTENSION) {
            return argument == Vfio.TYPE1V2_IOMMU || argument == Vfio.TYPE1_IOMMU ? 1 : 0;
        }
        if (kind == Kind.CONTAINER && request == Vfio.SET_IOMMU) {
            return 0;
        }
        if (kind == Kind.DEVICE && request == Vfio.DEVICE_RESET) {
            if (!resettable) {
                throw new NativeCallFailed(Vfio.name(request), what, EINVAL);
            }
            resets.merge(devices.get(fd), 1, Integer::sum);
            return 0;
        }
        throw new NativeCallFailed(Vfio.name(request), what, ENOTTY);
    }

    @Override
    public synchronized int ioctl(int fd, long request, byte[] struct, String what) {
        ioctls.merge(request, 1, Integer::sum);
        String call = Vfio.name(request);
        Kind kind = kind(fd, call, what);
        ByteBuffer s = le(struct);
        if (kind == Kind.GROUP && request == Vfio.GROUP_GET_STATUS) {
            s.putInt(4, (viable ? Vfio.GROUP_FLAGS_VIABLE : 0) | (groupInContainer ? 2 : 0));
        } else if (kind == Kind.GROUP && request == Vfio.GROUP_SET_CONTAINER) {
            if (open.get(s.getInt(0)) != Kind.CONTAINER) {
                throw new NativeCallFailed(call, what, EBADF);
            }
            groupInContainer = true;
        } else if (kind == Kind.GROUP && request == Vfio.GROUP_UNSET_CONTAINER) {
            if (!groupInContainer) {
                throw new NativeCallFailed(call, what, EINVAL);
            }
            groupInContainer = false;
            dma.clear();
        } else if (kind == Kind.GROUP && request == Vfio.GROUP_GET_DEVICE_FD) {
            if (!groupInContainer) {
                throw new NativeCallFailed(call, what, EINVAL);
            }
            String function = new String(struct, 0, struct.length - 1, StandardCharsets.US_ASCII);
            if (!functions.contains(function)) {
                throw new NativeCallFailed(call, what, ENODEV);
            }
            int device = descriptor(Kind.DEVICE);
            devices.put(device, function);
            return device;
        } else if (kind == Kind.DEVICE && request == Vfio.DEVICE_GET_INFO) {
            s.putInt(4, 2 | (resettable ? Vfio.DEVICE_FLAGS_RESET : 0)).putInt(8, REGIONS).putInt(12, IRQS);
        } else if (kind == Kind.DEVICE && request == Vfio.DEVICE_GET_REGION_INFO) {
            regionInfo(s, call, what);
        } else if (kind == Kind.DEVICE && request == Vfio.DEVICE_GET_IRQ_INFO) {
            irqInfo(s, call, what);
        } else if (kind == Kind.DEVICE && request == Vfio.DEVICE_SET_IRQS) {
            setIrqs(s, call, what);
        } else if (kind == Kind.DEVICE && request == Vfio.DEVICE_GET_PCI_HOT_RESET_INFO) {
            hotResetInfo(s, call, what);
        } else if (kind == Kind.DEVICE && request == Vfio.DEVICE_PCI_HOT_RESET) {
            hotReset(s, call, what);
        } else if (kind == Kind.CONTAINER && request == Vfio.IOMMU_MAP_DMA) {
            dma.put(s.getLong(16), s.getLong(24));
        } else if (kind == Kind.CONTAINER && request == Vfio.IOMMU_UNMAP_DMA) {
            dma.remove(s.getLong(8));
        } else {
            throw new NativeCallFailed(call, what, ENOTTY);
        }
        return 0;
    }

    /** The bus's functions and their groups; ENODEV where the bus cannot be reset, ENOSPC where argsz leaves no room. */
    private void hotResetInfo(ByteBuffer s, String call, String what) {
        if (!busResettable) {
            throw new NativeCallFailed(call, what, ENODEV);
        }
        List<String> onBus = new ArrayList<>(functions);
        if (foreignOnBus) {
            onBus.add("0000:00:03.2");
        }
        s.putInt(8, onBus.size());
        if (s.getInt(0) < 12 + 8 * onBus.size()) {
            throw new NativeCallFailed(call, what, ENOSPC);
        }
        for (int i = 0; i < onBus.size(); i++) {
            PciAddress address = PciAddress.parse(onBus.get(i));
            s.putInt(12 + 8 * i, functions.contains(onBus.get(i)) ? 7 : 8).putShort(16 + 8 * i, (short) address.domain())
                    .put(18 + 8 * i, (byte) address.bus()).put(19 + 8 * i, (byte) (address.device() << 3 | address.function()));
        }
    }

    /** The hot reset must be given every group on the bus: only group 7 is open here, so a foreign function refuses it. */
    private void hotReset(ByteBuffer s, String call, String what) {
        boolean groupGiven = s.getInt(8) == 1 && open.get(s.getInt(12)) == Kind.GROUP;
        if (!busResettable || foreignOnBus || !groupGiven) {
            throw new NativeCallFailed(call, what, EINVAL);
        }
        hotResets++;
    }

    private Kind kind(int fd, String call, String what) {
        Kind kind = open.get(fd);
        if (kind == null) {
            throw new NativeCallFailed(call, what, EBADF);
        }
        if (kind == Kind.EVENTFD) {
            throw new NativeCallFailed(call, what, ENOTTY);
        }
        return kind;
    }

    private static long regionSize(int index) {
        return index == 0 ? BAR0_SIZE : index == Vfio.PCI_CONFIG_REGION_INDEX ? CONFIG_SIZE : 0;
    }

    /** The VGA region (8) and anything past the regions are EINVAL, as for a function that is not VGA. */
    private static void regionInfo(ByteBuffer s, String call, String what) {
        int index = s.getInt(8);
        if (index < 0 || index >= REGIONS - 1) {
            throw new NativeCallFailed(call, what, EINVAL);
        }
        long size = regionSize(index);
        int flags = size == 0 ? 0 : Vfio.REGION_INFO_FLAG_READ | Vfio.REGION_INFO_FLAG_WRITE
                | (index == 0 ? Vfio.REGION_INFO_FLAG_MMAP : 0);
        s.putInt(4, flags).putLong(16, size).putLong(24, (long) index << REGION_SHIFT);
    }

    /** Vectors per interrupt index: INTx (pin A) 1, MSI 1, MSI-X 0; error reporting (conventional PCI) EINVAL; request 1. */
    private static int vectors(int index, String call, String what) {
        return switch (index) {
            case Vfio.PCI_INTX_IRQ_INDEX, Vfio.PCI_MSI_IRQ_INDEX, 4 -> 1;
            case Vfio.PCI_MSIX_IRQ_INDEX -> 0;
            default -> throw new NativeCallFailed(call, what, EINVAL);
        };
    }

    /** Flags as vfio-pci gives them: eventfd; INTx maskable and automasked, the others not resizable. */
    private static void irqInfo(ByteBuffer s, String call, String what) {
        int index = s.getInt(8);
        int count = vectors(index, call, what);
        s.putInt(4, index == Vfio.PCI_INTX_IRQ_INDEX ? 1 | 2 | 4 : 1 | 8).putInt(12, count);
    }

    private void setIrqs(ByteBuffer s, String call, String what) {
        int flags = s.getInt(4);
        int index = s.getInt(8);
        int start = s.getInt(12);
        int count = s.getInt(16);
        int max = vectors(index, call, what);
        if (start < 0 || count < 0 || start >= max || start + count > max
                || (count == 0 && (flags & Vfio.IRQ_SET_DATA_NONE) == 0)) {
            throw new NativeCallFailed(call, what, EINVAL);
        }
        boolean trigger = (flags & Vfio.IRQ_SET_ACTION_TRIGGER) != 0;
        if (trigger && (flags & Vfio.IRQ_SET_DATA_EVENTFD) != 0) {
            int[] fds = new int[count];
            for (int i = 0; i < count; i++) {
                fds[i] = s.getInt(20 + 4 * i);
                if (open.get(fds[i]) != Kind.EVENTFD) {
                    throw new NativeCallFailed(call, what, EBADF);
                }
            }
            routed.put(index, fds);
        } else if (trigger && count == 0) {
            routed.remove(index);
        } else if (trigger) {
            int[] fds = routed.getOrDefault(index, new int[0]);
            for (int v = start; v < Math.min(start + count, fds.length); v++) {
                counters.merge(fds[v], 1L, Long::sum);
            }
        }
    }

    @Override
    public synchronized int pread(int fd, byte[] into, int length, long offset, String what) {
        int index = access(fd, "pread", what, offset, length);
        long at = offset & ((1L << REGION_SHIFT) - 1);
        if (index == Vfio.PCI_CONFIG_REGION_INDEX) {
            System.arraycopy(config, (int) at, into, 0, length);
        } else {
            long value = barRead(at);
            for (int i = 0; i < length; i++) {
                into[i] = (byte) (value >>> (8 * i));
            }
        }
        return length;
    }

    @Override
    public synchronized int pwrite(int fd, byte[] from, int length, long offset, String what) {
        int index = access(fd, "pwrite", what, offset, length);
        long at = offset & ((1L << REGION_SHIFT) - 1);
        if (index == Vfio.PCI_CONFIG_REGION_INDEX) {
            configWrite((int) at, from, length);
        } else {
            int value = 0;
            for (int i = 0; i < Math.min(length, 4); i++) {
                value |= (from[i] & 0xff) << (8 * i);
            }
            barWrite(at, value);
        }
        return length;
    }

    /** The region an access of the device file falls in; EINVAL for a region the device lacks or past its end. */
    private int access(int fd, String call, String what, long offset, int length) {
        if (open.get(fd) == null) {
            throw new NativeCallFailed(call, what, EBADF);
        }
        long index = offset >>> REGION_SHIFT;
        long at = offset & ((1L << REGION_SHIFT) - 1);
        if (open.get(fd) != Kind.DEVICE || index >= REGIONS) {
            throw new NativeCallFailed(call, what, EINVAL);
        }
        if (at + length > regionSize((int) index)) {
            throw new NativeCallFailed(call, what, index == Vfio.PCI_CONFIG_REGION_INDEX ? EFAULT : EINVAL);
        }
        return (int) index;
    }

    /**
     * As vfio-pci's permission table: command, cache line, latency, interrupt line take writes;
     * BAR 0 takes its address bits and answers a sizing probe; the rest is read-only.
     */
    private void configWrite(int at, byte[] from, int length) {
        for (int i = 0; i < length; i++) {
            int offset = at + i;
            int data = from[i] & 0xff;
            int mask = switch (offset) {
                case 0x04 -> 0x07;
                case 0x05 -> 0x04;
                case 0x0c, 0x0d, 0x3c -> 0xff;
                case 0x10 -> 0x00;
                case 0x11 -> 0x00;
                case 0x12 -> 0xf0;
                case 0x13 -> 0xff;
                default -> 0;
            };
            config[offset] = (byte) ((config[offset] & ~mask) | (data & mask));
        }
    }

    private long barRead(long at) {
        return switch ((int) at) {
            case 0x00 -> 0x010000edL;
            case 0x04 -> ~liveness & 0xffff_ffffL;
            case 0x08 -> factorial(factorialInput);
            default -> 0;
        };
    }

    private void barWrite(long at, int value) {
        if (at == 0x04) {
            liveness = value;
        } else if (at == 0x08) {
            factorialInput = value;
        }
    }

    private static long factorial(long n) {
        long f = 1;
        for (long i = 2; i <= n; i++) {
            f *= i;
        }
        return f & 0xffff_ffffL;
    }

    /** BAR 0 is mapped at a made-up address whose loads and stores reach its registers. */
    @Override
    public synchronized long map(int fd, long size, long offset, String what) {
        if (open.get(fd) != Kind.DEVICE || offset != 0 || size != BAR0_SIZE) {
            throw new NativeCallFailed("mmap", what, EINVAL);
        }
        return MAPPED;
    }

    @Override
    public void unmap(long address, long size) {
        if (address != MAPPED) {
            throw new NativeCallFailed("munmap", "0x" + Long.toHexString(address), EINVAL);
        }
    }

    @Override
    public synchronized long load(long address, int width) {
        return barRead(mapped(address)) & (width == 8 ? -1L : (1L << (8 * width)) - 1);
    }

    @Override
    public synchronized void store(long address, int width, long value) {
        barWrite(mapped(address), (int) value);
    }

    private static long mapped(long address) {
        if (address < MAPPED || address >= MAPPED + BAR0_SIZE) {
            throw new IllegalStateException("a load or store at 0x" + Long.toHexString(address) + ", which nothing maps");
        }
        return address - MAPPED;
    }

    @Override
    public synchronized int eventfd() {
        int fd = descriptor(Kind.EVENTFD);
        counters.put(fd, 0L);
        return fd;
    }

    @Override
    public synchronized long drain(int eventfd) {
        Long count = counters.put(eventfd, 0L);
        if (count == null) {
            counters.remove(eventfd);
            throw new NativeCallFailed("read", "eventfd " + eventfd, EBADF);
        }
        return count;
    }

    @Override
    public synchronized void signal(int eventfd) {
        Long count = counters.get(eventfd);
        if (count == null) {
            throw new NativeCallFailed("write", "eventfd " + eventfd, EBADF);
        }
        counters.put(eventfd, count + 1);
    }

    /** Zeroed memory at addresses page-aligned and never reused, as anonymous mmap gives. */
    @Override
    public synchronized long allocate(long size) {
        long address = nextMemory;
        memory.put(address, new byte[(int) size]);
        nextMemory += (size + 0xfff) & ~0xfffL;
        return address;
    }

    @Override
    public synchronized void copyIn(long address, byte[] from) {
        Map.Entry<Long, byte[]> block = block(address, from.length);
        System.arraycopy(from, 0, block.getValue(), (int) (address - block.getKey()), from.length);
    }

    @Override
    public synchronized void copyOut(long address, byte[] into) {
        Map.Entry<Long, byte[]> block = block(address, into.length);
        System.arraycopy(block.getValue(), (int) (address - block.getKey()), into, 0, into.length);
    }

    private Map.Entry<Long, byte[]> block(long address, int length) {
        Map.Entry<Long, byte[]> block = memory.floorEntry(address);
        if (block == null || address + length > block.getKey() + block.getValue().length) {
            throw new IllegalStateException("0x" + Long.toHexString(address) + "+" + length + " is not memory from allocate");
        }
        return block;
    }

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
}
