package dev.passthru.vfio;

/**
 * VFIO's ioctl numbers and constants (linux/vfio.h, x86-64): {@code _IO(';', 100 + n)}, each
 * checked against the header. The numbers are per descriptor kind, so two pairs share one: the
 * device's hot-reset requests are 100 + 12 and 13, as are the container's IOMMU_GET_INFO and
 * IOMMU_MAP_DMA. Struct layouts are the {@link VfioStruct} flyweights.
 */
final class Vfio {

    static final long GET_API_VERSION = 0x3b64;
    static final long CHECK_EXTENSION = 0x3b65;
    static final long SET_IOMMU = 0x3b66;
    static final long GROUP_GET_STATUS = 0x3b67;
    static final long GROUP_SET_CONTAINER = 0x3b68;
    static final long GROUP_UNSET_CONTAINER = 0x3b69;
    static final long GROUP_GET_DEVICE_FD = 0x3b6a;
    static final long DEVICE_GET_INFO = 0x3b6b;
    static final long DEVICE_GET_REGION_INFO = 0x3b6c;
    static final long DEVICE_GET_IRQ_INFO = 0x3b6d;
    static final long DEVICE_SET_IRQS = 0x3b6e;
    static final long DEVICE_RESET = 0x3b6f;
    static final long DEVICE_GET_PCI_HOT_RESET_INFO = 0x3b70;
    static final long DEVICE_PCI_HOT_RESET = 0x3b71;
    static final long IOMMU_MAP_DMA = 0x3b71;
    static final long IOMMU_UNMAP_DMA = 0x3b72;

    static final int API_VERSION = 0;
    static final int TYPE1_IOMMU = 1;
    static final int TYPE1V2_IOMMU = 3;
    static final int GROUP_FLAGS_VIABLE = 1;
    static final int DEVICE_FLAGS_RESET = 1;
    static final int REGION_INFO_FLAG_READ = 1;
    static final int REGION_INFO_FLAG_WRITE = 2;
    static final int REGION_INFO_FLAG_MMAP = 4;
    static final int PCI_ROM_REGION_INDEX = 6;
    static final int PCI_CONFIG_REGION_INDEX = 7;
    static final int PCI_INTX_IRQ_INDEX = 0;
    static final int PCI_MSI_IRQ_INDEX = 1;
    static final int PCI_MSIX_IRQ_INDEX = 2;
    static final int IRQ_SET_DATA_NONE = 1;
    static final int IRQ_SET_DATA_EVENTFD = 4;
    static final int IRQ_SET_ACTION_UNMASK = 16;
    static final int IRQ_SET_ACTION_TRIGGER = 32;
    static final int DMA_MAP_FLAG_READ_WRITE = 3;

    private Vfio() {
    }

    static String name(long request) {
        return switch ((int) request) {
            case 0x3b64 -> "VFIO_GET_API_VERSION";
            case 0x3b65 -> "VFIO_CHECK_EXTENSION";
            case 0x3b66 -> "VFIO_SET_IOMMU";
            case 0x3b67 -> "VFIO_GROUP_GET_STATUS";
            case 0x3b68 -> "VFIO_GROUP_SET_CONTAINER";
            case 0x3b69 -> "VFIO_GROUP_UNSET_CONTAINER";
            case 0x3b6a -> "VFIO_GROUP_GET_DEVICE_FD";
            case 0x3b6b -> "VFIO_DEVICE_GET_INFO";
            case 0x3b6c -> "VFIO_DEVICE_GET_REGION_INFO";
            case 0x3b6d -> "VFIO_DEVICE_GET_IRQ_INFO";
            case 0x3b6e -> "VFIO_DEVICE_SET_IRQS";
            case 0x3b6f -> "VFIO_DEVICE_RESET";
            // the request alone cannot tell which: the descriptor's kind does, and the caller names the descriptor
            case 0x3b70 -> "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO (or VFIO_IOMMU_GET_INFO)";
            case 0x3b71 -> "VFIO_IOMMU_MAP_DMA (or VFIO_DEVICE_PCI_HOT_RESET)";
            case 0x3b72 -> "VFIO_IOMMU_UNMAP_DMA";
            default -> "ioctl 0x" + Long.toHexString(request);
        };
    }
}
