package dev.passthru.device;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

import static dev.passthru.pci.PciRegs.*;

/**
 * The guest's MSI-X table, kept by the device model and never mapped through: a guest that
 * could write the real table could aim the function's interrupts anywhere (XSA-120 era lesson,
 * and every hypervisor's practice). A flyweight over one byte array, 16 bytes an entry:
 *
 * <pre>
 *  0       4       8      12      16
 *  | addr lo | addr hi | data | vector control (bit 0: masked) |
 * </pre>
 *
 * Entries start masked with address and data 0, as after reset. Accesses of any width at any
 * offset inside the table are answered; none allocates.
 */
public final class MsixTable {

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final byte[] bytes;
    private final int entries;

    public MsixTable(int entries) {
        this.entries = entries;
        this.bytes = new byte[entries * PCI_MSIX_ENTRY_SIZE];
        reset();
    }

    public int entries() {
        return entries;
    }

    /** The table's bytes as they are now, for a restarted device model. */
    public byte[] image() {
        return bytes.clone();
    }

    /** Puts back the bytes of {@link #image}. */
    public void restore(byte[] image) {
        if (image.length != bytes.length) {
            throw new IllegalArgumentException("an MSI-X table image of " + image.length + " bytes, for " + entries + " entries");
        }
        System.arraycopy(image, 0, bytes, 0, bytes.length);
    }

    /** Every entry masked, address and data 0. */
    public void reset() {
        Arrays.fill(bytes, (byte) 0);
        for (int i = 0; i < entries; i++) {
            bytes[i * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
        }
    }

    /** Reads {@code width} bytes (1-8) at {@code offset} from the table's start, little-endian. */
    public long read(int offset, int width) {
        long value = 0;
        for (int i = 0; i < width && offset + i < bytes.length; i++) {
            value |= (bytes[offset + i] & 0xffL) << (8 * i);
        }
        return value;
    }

    /**
     * Writes {@code width} bytes (1-8) at {@code offset}. Reserved bits of vector control stay
     * 0 (only the mask bit is defined).
     *
     * @return whether any byte changed
     */
    public boolean write(int offset, int width, long value) {
        boolean changed = false;
        for (int i = 0; i < width && offset + i < bytes.length; i++) {
            int at = offset + i;
            byte b = (byte) (value >>> (8 * i));
            if (at % PCI_MSIX_ENTRY_SIZE == PCI_MSIX_ENTRY_VECTOR_CTRL) {
                b &= PCI_MSIX_ENTRY_CTRL_MASKBIT;
            } else if (at % PCI_MSIX_ENTRY_SIZE > PCI_MSIX_ENTRY_VECTOR_CTRL) {
                b = 0;
            }
            changed |= bytes[at] != b;
            bytes[at] = b;
        }
        return changed;
    }

    public long address(int entry) {
        int at = entry * PCI_MSIX_ENTRY_SIZE;
        return ((int) INT.get(bytes, at + PCI_MSIX_ENTRY_LOWER_ADDR) & 0xffff_ffffL)
                | ((long) (int) INT.get(bytes, at + PCI_MSIX_ENTRY_UPPER_ADDR) << 32);
    }

    public int data(int entry) {
        return (int) INT.get(bytes, entry * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_DATA);
    }

    public boolean masked(int entry) {
        return (bytes[entry * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] & PCI_MSIX_ENTRY_CTRL_MASKBIT) != 0;
    }
}
