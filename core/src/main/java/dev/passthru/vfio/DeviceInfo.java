package dev.passthru.vfio;

/**
 * struct vfio_device_info, for VFIO_DEVICE_GET_INFO:
 * <pre>
 *   0        4        8              12          16
 *   | argsz  | flags  | num_regions  | num_irqs  |
 * </pre>
 */
final class DeviceInfo extends VfioStruct {

    static final int NUM_REGIONS_OFFSET = 8;
    static final int NUM_IRQS_OFFSET = 12;
    static final int SIZE = 16;

    DeviceInfo() {
        super(SIZE);
    }

    int regions() {
        return getInt(NUM_REGIONS_OFFSET);
    }

    int irqs() {
        return getInt(NUM_IRQS_OFFSET);
    }
}
