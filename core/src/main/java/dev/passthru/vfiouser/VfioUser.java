package dev.passthru.vfiouser;

/**
 * The numbers of the vfio-user protocol (QEMU's docs/interop/vfio-user.rst, version 0.1): the
 * 16-byte header every message starts with, the commands, the flags, and the values it takes
 * over from linux/vfio.h. Everything is little-endian, as the host is.
 */
final class VfioUser {

    static final int MAJOR = 0;
    static final int MINOR = 1;

    /** Header: message id u16 at 0, command u16 at 2, size u32 at 4 (header included), flags u32 at 8, error u32 at 12. */
    static final int HEADER = 16;

    static final int VERSION = 1;
    static final int DMA_MAP = 2;
    static final int DMA_UNMAP = 3;
    static final int DEVICE_GET_INFO = 4;
    static final int DEVICE_GET_REGION_INFO = 5;
    static final int DEVICE_GET_REGION_IO_FDS = 6;
    static final int DEVICE_GET_IRQ_INFO = 7;
    static final int DEVICE_SET_IRQS = 8;
    static final int REGION_READ = 9;
    static final int REGION_WRITE = 10;
    static final int DMA_READ = 11;
    static final int DMA_WRITE = 12;
    static final int DEVICE_RESET = 13;
    static final int REGION_WRITE_MULTI = 15;
    static final int DEVICE_FEATURE = 16;
    static final int MIG_DATA_READ = 17;
    static final int MIG_DATA_WRITE = 18;

    static final int TYPE_MASK = 0xf;
    static final int TYPE_COMMAND = 0;
    static final int TYPE_REPLY = 1;
    static final int NO_REPLY = 1 << 4;
    static final int ERROR = 1 << 5;

    /** What this server offers: descriptors per message, bytes per read or write, DMA windows, page sizes. */
    static final int MAX_MSG_FDS = 16;
    static final int MAX_DATA_XFER = 1 << 20;
    static final int MAX_DMA_MAPS = 65535;
    static final long PAGE_SIZES = 4096;
    /** The largest message accepted: a write of the most data and its header, with room to spare. */
    static final int MAX_MESSAGE = MAX_DATA_XFER + 4096;

    static final int DEVICE_FLAGS_RESET = 1;
    static final int DEVICE_FLAGS_PCI = 2;
    static final int PCI_NUM_REGIONS = 9;
    static final int PCI_NUM_IRQS = 5;
    static final int ROM_REGION = 6;
    static final int CONFIG_REGION = 7;

    static final int REGION_READ_FLAG = 1;
    static final int REGION_WRITE_FLAG = 2;
    static final int REGION_MMAP_FLAG = 4;
    static final int REGION_CAPS_FLAG = 8;
    static final int REGION_INFO_SIZE = 32;
    static final int CAP_SPARSE_MMAP = 1;

    static final int INTX = 0;
    static final int MSI = 1;
    static final int MSIX = 2;
    static final int IRQ_INFO_EVENTFD = 1;
    static final int IRQ_INFO_MASKABLE = 2;
    static final int IRQ_INFO_AUTOMASKED = 4;
    static final int IRQ_INFO_NORESIZE = 8;
    static final int IRQ_SET_DATA_NONE = 1;
    static final int IRQ_SET_DATA_BOOL = 2;
    static final int IRQ_SET_DATA_EVENTFD = 4;
    static final int IRQ_SET_DATA_MASK = 7;
    static final int IRQ_SET_ACTION_MASK = 8;
    static final int IRQ_SET_ACTION_UNMASK = 16;
    static final int IRQ_SET_ACTION_TRIGGER = 32;
    static final int IRQ_SET_ACTION_MASK_ALL = 56;

    static final int DMA_READABLE = 1;
    static final int DMA_WRITEABLE = 2;

    static final int EPERM = 1;
    static final int EBADF = 9;
    static final int ENOMEM = 12;
    static final int EFAULT = 14;
    static final int EEXIST = 17;
    static final int ENODEV = 19;
    static final int EINVAL = 22;
    static final int ENOSPC = 28;
    static final int E2BIG = 7;
    static final int ENOTSUP = 95;

    private VfioUser() {
    }

    static String command(int command) {
        return switch (command) {
            case VERSION -> "VFIO_USER_VERSION";
            case DMA_MAP -> "VFIO_USER_DMA_MAP";
            case DMA_UNMAP -> "VFIO_USER_DMA_UNMAP";
            case DEVICE_GET_INFO -> "VFIO_USER_DEVICE_GET_INFO";
            case DEVICE_GET_REGION_INFO -> "VFIO_USER_DEVICE_GET_REGION_INFO";
            case DEVICE_GET_REGION_IO_FDS -> "VFIO_USER_DEVICE_GET_REGION_IO_FDS";
            case DEVICE_GET_IRQ_INFO -> "VFIO_USER_DEVICE_GET_IRQ_INFO";
            case DEVICE_SET_IRQS -> "VFIO_USER_DEVICE_SET_IRQS";
            case REGION_READ -> "VFIO_USER_REGION_READ";
            case REGION_WRITE -> "VFIO_USER_REGION_WRITE";
            case DMA_READ -> "VFIO_USER_DMA_READ";
            case DMA_WRITE -> "VFIO_USER_DMA_WRITE";
            case DEVICE_RESET -> "VFIO_USER_DEVICE_RESET";
            case REGION_WRITE_MULTI -> "VFIO_USER_REGION_WRITE_MULTI";
            case DEVICE_FEATURE -> "VFIO_USER_DEVICE_FEATURE";
            case MIG_DATA_READ -> "VFIO_USER_MIG_DATA_READ";
            case MIG_DATA_WRITE -> "VFIO_USER_MIG_DATA_WRITE";
            default -> "command " + command;
        };
    }
}
