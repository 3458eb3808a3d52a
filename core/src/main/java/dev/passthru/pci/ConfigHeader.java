package dev.passthru.pci;

import static dev.passthru.pci.PciRegs.*;

/**
 * The identity fields of a function's config header, read from its first 64 bytes.
 *
 * @param classCode base class, subclass and programming interface (24 bits)
 * @param headerType without the multi-function bit
 */
public record ConfigHeader(int vendor, int device, int classCode, int revision, int headerType,
                           boolean multiFunction, int subsystemVendor, int subsystem, int interruptPin) {

    public static final int PCI_CLASS_BRIDGE_HOST = 0x0600;
    public static final int PCI_CLASS_BRIDGE_ISA = 0x0601;
    public static final int PCI_CLASS_BRIDGE_PCI = 0x0604;
    public static final int PCI_CLASS_BRIDGE_CARDBUS = 0x0607;
    public static final int PCI_CLASS_BRIDGE_PCI_SEMI = 0x0609;

    /** Decodes the header from {@code bytes}, which must hold at least the first 64. */
    public static ConfigHeader of(byte[] bytes) {
        int type = u8(bytes, PCI_HEADER_TYPE);
        boolean normal = (type & PCI_HEADER_TYPE_MASK) == PCI_HEADER_TYPE_NORMAL;
        return new ConfigHeader(
                u16(bytes, PCI_VENDOR_ID), u16(bytes, PCI_DEVICE_ID),
                u8(bytes, PCI_CLASS_PROG) | u16(bytes, PCI_CLASS_DEVICE) << 8,
                u8(bytes, PCI_REVISION_ID), type & PCI_HEADER_TYPE_MASK, (type & PCI_HEADER_TYPE_MFD) != 0,
                normal ? u16(bytes, PCI_SUBSYSTEM_VENDOR_ID) : 0, normal ? u16(bytes, PCI_SUBSYSTEM_ID) : 0,
                u8(bytes, PCI_INTERRUPT_PIN));
    }

    /** Base class and subclass (16 bits), as lspci -n prints them. */
    public int deviceClass() {
        return classCode >>> 8;
    }

    public int programmingInterface() {
        return classCode & 0xff;
    }

    private static int u8(byte[] bytes, int at) {
        return bytes[at] & 0xff;
    }

    private static int u16(byte[] bytes, int at) {
        return u8(bytes, at) | u8(bytes, at + 1) << 8;
    }
}
