package dev.passthru.bus;

import static dev.passthru.pci.PciRegs.*;

/**
 * The guest's host bridge in slot 0, as a PC guest expects to find it: an Intel 440FX
 * (8086:1237), the chipset QEMU and Xen HVM guests are given. Its config space is read-only.
 */
final class HostBridge {

    private static final byte[] CONFIG = new byte[PCI_CFG_SPACE_SIZE];

    static {
        put(PCI_VENDOR_ID, 2, 0x8086);
        put(PCI_DEVICE_ID, 2, 0x1237);
        put(PCI_REVISION_ID, 1, 0x02);
        put(PCI_CLASS_DEVICE, 2, 0x0600);
        put(PCI_SUBSYSTEM_VENDOR_ID, 2, 0x1af4);
        put(PCI_SUBSYSTEM_ID, 2, 0x1100);
    }

    private HostBridge() {
    }

    static int read(int offset, int width) {
        int value = 0;
        for (int i = 0; i < width && offset + i < CONFIG.length; i++) {
            value |= (CONFIG[offset + i] & 0xff) << (8 * i);
        }
        return value;
    }

    private static void put(int offset, int width, int value) {
        for (int i = 0; i < width; i++) {
            CONFIG[offset + i] = (byte) (value >>> (8 * i));
        }
    }
}
