package dev.passthru.device;

import dev.passthru.host.HostConfig;

import static dev.passthru.pci.PciRegs.*;

/**
 * Where a function's MSI-X table and pending-bit array live: which BAR, at which offset, and
 * how many entries, from the host's MSI-X capability (PCI 3.0 section 6.8.2).
 *
 * @param tableBar    BAR index of the table (the BIR)
 * @param tableOffset byte offset of the table in that BAR
 * @param entries     table size, 1-2048
 * @param pbaBar      BAR index of the pending-bit array
 * @param pbaOffset   byte offset of the PBA in that BAR
 */
public record MsixLayout(int tableBar, long tableOffset, int entries, int pbaBar, long pbaOffset) {

    /** Reads the layout from the MSI-X capability at {@code capability} of the host's config space. */
    public static MsixLayout read(HostConfig host, int capability) {
        int control = host.read(capability + PCI_MSIX_FLAGS, 2);
        int table = host.read(capability + PCI_MSIX_TABLE, 4);
        int pba = host.read(capability + PCI_MSIX_PBA, 4);
        return new MsixLayout(table & PCI_MSIX_TABLE_BIR, table & PCI_MSIX_TABLE_OFFSET & 0xffff_ffffL,
                (control & PCI_MSIX_FLAGS_QSIZE) + 1, pba & PCI_MSIX_TABLE_BIR, pba & PCI_MSIX_TABLE_OFFSET & 0xffff_ffffL);
    }

    public long tableLength() {
        return (long) entries * PCI_MSIX_ENTRY_SIZE;
    }

    /** One bit per entry, in whole quadwords. */
    public long pbaLength() {
        return ((entries + 63L) / 64) * 8;
    }

    public boolean inTable(int bar, long offset) {
        return bar == tableBar && offset >= tableOffset && offset - tableOffset < tableLength();
    }

    /**
     * Whether an access of {@code width} bytes at {@code offset} reaches into the table or the
     * PBA without lying wholly inside one of them: such an access is refused, so that no part of
     * it reaches the host's table or PBA through the registers around them.
     */
    public boolean straddles(int bar, long offset, int width) {
        return straddles(bar, offset, width, tableBar, tableOffset, tableLength())
                || straddles(bar, offset, width, pbaBar, pbaOffset, pbaLength());
    }

    private static boolean straddles(int bar, long offset, int width, int regionBar, long start, long length) {
        if (bar != regionBar || width <= 0 || offset < 0 || offset > Long.MAX_VALUE - width) {
            return false;
        }
        boolean overlaps = offset < start + length && start < offset + width;
        boolean inside = offset >= start && offset + width <= start + length;
        return overlaps && !inside;
    }

    public boolean inPba(int bar, long offset) {
        return bar == pbaBar && offset >= pbaOffset && offset - pbaOffset < pbaLength();
    }
}
