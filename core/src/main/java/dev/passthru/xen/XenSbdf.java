package dev.passthru.xen;

import dev.passthru.pci.PciAddress;

/** Xen's one-number names for PCI functions: segment << 16 | bus << 8 | device << 3 | function. */
final class XenSbdf {

    private XenSbdf() {
    }

    static int of(PciAddress address) {
        return address.domain() << 16 | address.bus() << 8 | address.devfn();
    }

    static String text(int sbdf) {
        return String.format("%04x:%02x:%02x.%d", sbdf >>> 16, (sbdf >> 8) & 0xff, (sbdf >> 3) & 0x1f, sbdf & 7);
    }
}
