package dev.passthru.guest;

import dev.passthru.bus.SizedBar;
import dev.passthru.bus.EnumeratedFunction;
import dev.passthru.host.BarKind;
import dev.passthru.host.Sizes;
import dev.passthru.pci.CapabilityIds;
import dev.passthru.pci.Hex;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static dev.passthru.pci.CapabilityIds.PCI_CAP_ID_MSI;
import static dev.passthru.pci.CapabilityIds.PCI_CAP_ID_MSIX;
import static dev.passthru.pci.PciRegs.*;

/**
 * A guest that does what PC firmware and then a driver do with PCI functions, through nothing
 * but config and memory accesses: finds the functions of bus 0, sizes every BAR and the ROM,
 * places them largest first with natural alignment (see {@link BarAllocator}), programs them,
 * turns on decode and bus mastering; then walks each capability list, turns on MSI-X (a few
 * vectors, written into the table through the BAR) or else MSI, and reads and writes a BAR
 * register. A hot-plugged slot is enumerated the same way when it appears.
 */
public final class BuiltInGuest {

    /** Vectors a driver asks for at most; enough to show routing, few enough to read. */
    private static final int VECTORS = 4;
    private static final int FIRST_VECTOR = 0x30;
    private static final long MSI_ADDRESS = 0xfee0_0000L;
    /** A capability list longer than this loops: 48 capabilities of 4 bytes fill 192 bytes. */
    private static final int MAX_CAPABILITIES = 48;

    private final GuestAccess bus;
    private final BarAllocator allocator;
    private int nextVector = FIRST_VECTOR;

    /** @param highRamEnd where the guest's RAM above 4 GiB ends (4 GiB when it has none) */
    public BuiltInGuest(GuestAccess bus, long highRamEnd) {
        this.bus = bus;
        this.allocator = new BarAllocator(highRamEnd);
    }

    /** Enumerates the whole bus, as at boot: slots 1-31 (slot 0 is the host bridge). */
    public List<EnumeratedFunction> boot() {
        List<int[]> found = new ArrayList<>();
        for (int slot = 1; slot < 32; slot++) {
            found.addAll(functionsOf(slot));
        }
        return enumerate(found);
    }

    /** Enumerates one slot, as when it is hot-plugged. */
    public List<EnumeratedFunction> arrived(int slot) {
        return enumerate(functionsOf(slot));
    }

    private List<int[]> functionsOf(int slot) {
        List<int[]> found = new ArrayList<>();
        if (vendor(slot, 0) == 0xffff) {
            return found;
        }
        boolean multi = (bus.configRead(slot, 0, PCI_HEADER_TYPE, 1) & PCI_HEADER_TYPE_MFD) != 0;
        for (int f = 0; f < (multi ? 8 : 1); f++) {
            if (vendor(slot, f) != 0xffff) {
                found.add(new int[] {slot, f});
            }
        }
        return found;
    }

    private int vendor(int slot, int function) {
        return bus.configRead(slot, function, PCI_VENDOR_ID, 2);
    }

    /** A BAR found by sizing, with the function (by position in the round) and its place in that function's list. */
    private record Found(int owner, int position, SizedBar bar) {
    }

    /**
     * Sizes every function of the round with decode off, places all their BARs largest first
     * (so that natural alignment packs them), programs each function, then drives it.
     */
    private List<EnumeratedFunction> enumerate(List<int[]> functions) {
        List<List<SizedBar>> bars = new ArrayList<>();
        List<Found> found = new ArrayList<>();
        for (int i = 0; i < functions.size(); i++) {
            int[] f = functions.get(i);
            bus.configWrite(f[0], f[1], PCI_COMMAND, 2, 0);
            List<SizedBar> sized = new ArrayList<>(size(f[0], f[1]));
            for (int position = 0; position < sized.size(); position++) {
                found.add(new Found(i, position, sized.get(position)));
            }
            bars.add(sized);
        }
        found.sort(Comparator.comparingLong((Found f) -> f.bar().size()).reversed());
        List<List<String>> notes = new ArrayList<>();
        functions.forEach(f -> notes.add(new ArrayList<>()));
        for (Found f : found) {
            long at = allocator.allocate(f.bar());
            bars.get(f.owner()).set(f.position(), f.bar().placedAt(at));
            if (at == 0) {
                notes.get(f.owner()).add(String.format("%s [size=%s] not placed: no room left in its window",
                        name(f.bar()), human(f.bar().size())));
            }
        }
        List<EnumeratedFunction> done = new ArrayList<>();
        for (int i = 0; i < functions.size(); i++) {
            int[] f = functions.get(i);
            program(f[0], f[1], bars.get(i));
            done.add(drive(f[0], f[1], List.copyOf(bars.get(i)), List.copyOf(notes.get(i))));
        }
        return done;
    }

    /** Sizes BARs 0-5 and the ROM the way firmware does: all-ones in, the size mask back out. */
    private List<SizedBar> size(int slot, int function) {
        List<SizedBar> bars = new ArrayList<>();
        int headerType = bus.configRead(slot, function, PCI_HEADER_TYPE, 1) & 0x7f;
        int count = headerType == PCI_HEADER_TYPE_NORMAL ? PCI_STD_NUM_BARS : headerType == PCI_HEADER_TYPE_BRIDGE ? 2 : 0;
        for (int i = 0; i < count; i++) {
            int register = PCI_BASE_ADDRESS_0 + 4 * i;
            int original = bus.configRead(slot, function, register, 4);
            int mask = probe(slot, function, register, -1, original);
            if (mask == 0) {
                continue;
            }
            if ((original & PCI_BASE_ADDRESS_SPACE_IO) != 0) {
                long size = ((~(mask & PCI_BASE_ADDRESS_IO_MASK)) & 0xffff) + 1L;
                bars.add(new SizedBar(i, BarKind.IO, false, size, 0));
                continue;
            }
            boolean prefetchable = (original & PCI_BASE_ADDRESS_MEM_PREFETCH) != 0;
            if ((original & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64 && i + 1 < count) {
                int originalHigh = bus.configRead(slot, function, register + 4, 4);
                int maskHigh = probe(slot, function, register + 4, -1, originalHigh);
                long full = ((long) maskHigh << 32) | (mask & PCI_BASE_ADDRESS_MEM_MASK & 0xffff_ffffL);
                bars.add(new SizedBar(i, BarKind.MEM64, prefetchable, -full, 0));
                i++;
            } else {
                long size = (-(mask & PCI_BASE_ADDRESS_MEM_MASK)) & 0xffff_ffffL;
                bars.add(new SizedBar(i, BarKind.MEM32, prefetchable, size, 0));
            }
        }
        if (headerType == PCI_HEADER_TYPE_NORMAL) {
            int original = bus.configRead(slot, function, PCI_ROM_ADDRESS, 4);
            int mask = probe(slot, function, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS_MASK, original);
            if ((mask & PCI_ROM_ADDRESS_MASK) != 0) {
                bars.add(new SizedBar(SizedBar.ROM, BarKind.MEM32, false, (-(mask & PCI_ROM_ADDRESS_MASK)) & 0xffff_ffffL, 0));
            }
        }
        return bars;
    }

    private int probe(int slot, int function, int register, int pattern, int original) {
        bus.configWrite(slot, function, register, 4, pattern);
        int mask = bus.configRead(slot, function, register, 4);
        bus.configWrite(slot, function, register, 4, original);
        return mask;
    }

    private void program(int slot, int function, List<SizedBar> bars) {
        boolean io = false;
        boolean memory = false;
        for (SizedBar bar : bars) {
            if (bar.address() == 0) {
                continue;
            }
            if (bar.rom()) {
                bus.configWrite(slot, function, PCI_ROM_ADDRESS, 4, (int) bar.address());
                continue;
            }
            int register = PCI_BASE_ADDRESS_0 + 4 * bar.index();
            int low = bus.configRead(slot, function, register, 4);
            int typeBits = low & (bar.kind() == BarKind.IO ? ~PCI_BASE_ADDRESS_IO_MASK : ~PCI_BASE_ADDRESS_MEM_MASK);
            bus.configWrite(slot, function, register, 4, (int) bar.address() | typeBits);
            if (bar.kind() == BarKind.MEM64) {
                bus.configWrite(slot, function, register + 4, 4, (int) (bar.address() >>> 32));
            }
            io |= bar.kind() == BarKind.IO;
            memory |= bar.kind() != BarKind.IO;
        }
        int command = PCI_COMMAND_MASTER | (memory ? PCI_COMMAND_MEMORY : 0) | (io ? PCI_COMMAND_IO : 0);
        bus.configWrite(slot, function, PCI_COMMAND, 2, command);
    }

    /** What a driver does first: walk the capabilities, turn on message interrupts, touch a register. */
    private EnumeratedFunction drive(int slot, int function, List<SizedBar> bars, List<String> notes) {
        List<String> capabilities = new ArrayList<>();
        int msix = 0;
        int msi = 0;
        if ((bus.configRead(slot, function, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) != 0) {
            int at = bus.configRead(slot, function, PCI_CAPABILITY_LIST, 1) & 0xfc;
            for (int n = 0; at >= PCI_STD_HEADER_SIZEOF && n < MAX_CAPABILITIES; n++) {
                int id = bus.configRead(slot, function, at, 1);
                capabilities.add("[" + Hex.append(new StringBuilder(), at, 2) + "] " + CapabilityIds.name(id));
                msix = id == PCI_CAP_ID_MSIX && msix == 0 ? at : msix;
                msi = id == PCI_CAP_ID_MSI && msi == 0 ? at : msi;
                at = bus.configRead(slot, function, at + 1, 1) & 0xfc;
            }
        }
        String interrupts = msix != 0 ? enableMsix(slot, function, msix, bars)
                : msi != 0 ? enableMsi(slot, function, msi) : "INTx";
        return new EnumeratedFunction(slot, function, bars, List.copyOf(capabilities), interrupts, touchRegister(bars), notes);
    }

    private String enableMsix(int slot, int function, int cap, List<SizedBar> bars) {
        int control = bus.configRead(slot, function, cap + PCI_MSIX_FLAGS, 2);
        int entries = (control & PCI_MSIX_FLAGS_QSIZE) + 1;
        int table = bus.configRead(slot, function, cap + PCI_MSIX_TABLE, 4);
        long base = barAddress(bars, table & PCI_MSIX_TABLE_BIR);
        if (base == 0) {
            return "INTx (the MSI-X table's BAR was not placed)";
        }
        long at = base + (table & PCI_MSIX_TABLE_OFFSET & 0xffff_ffffL);
        int vectors = Math.min(VECTORS, entries);
        int first = nextVector;
        for (int i = 0; i < vectors; i++) {
            long entry = at + (long) i * PCI_MSIX_ENTRY_SIZE;
            bus.mmioWrite(entry + PCI_MSIX_ENTRY_LOWER_ADDR, 4, MSI_ADDRESS);
            bus.mmioWrite(entry + PCI_MSIX_ENTRY_UPPER_ADDR, 4, 0);
            bus.mmioWrite(entry + PCI_MSIX_ENTRY_DATA, 4, nextVector++);
            bus.mmioWrite(entry + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
        }
        bus.configWrite(slot, function, cap + PCI_MSIX_FLAGS, 2, (control | PCI_MSIX_FLAGS_ENABLE) & ~PCI_MSIX_FLAGS_MASKALL);
        return String.format("MSI-X, %d of %d vectors (0x%x-0x%x)", vectors, entries, first, nextVector - 1);
    }

    private String enableMsi(int slot, int function, int cap) {
        int control = bus.configRead(slot, function, cap + PCI_MSI_FLAGS, 2);
        boolean wide = (control & PCI_MSI_FLAGS_64BIT) != 0;
        bus.configWrite(slot, function, cap + PCI_MSI_ADDRESS_LO, 4, (int) MSI_ADDRESS);
        if (wide) {
            bus.configWrite(slot, function, cap + PCI_MSI_ADDRESS_HI, 4, 0);
        }
        int vector = nextVector++;
        bus.configWrite(slot, function, cap + (wide ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32), 2, vector);
        bus.configWrite(slot, function, cap + PCI_MSI_FLAGS, 2, (control & ~PCI_MSI_FLAGS_QSIZE) | PCI_MSI_FLAGS_ENABLE);
        return String.format("MSI, 1 vector (0x%x)", vector);
    }

    /** Reads the first register of the first memory BAR placed, writes it back, reads again. */
    private String touchRegister(List<SizedBar> bars) {
        for (SizedBar bar : bars) {
            if (!bar.rom() && bar.kind() != BarKind.IO && bar.address() != 0) {
                long before = bus.mmioRead(bar.address(), 4);
                bus.mmioWrite(bar.address(), 4, before);
                long after = bus.mmioRead(bar.address(), 4);
                return String.format("BAR %d +0x0: read 0x%08x, wrote it back, read 0x%08x", bar.index(), before, after);
            }
        }
        return "";
    }

    private static long barAddress(List<SizedBar> bars, int index) {
        for (SizedBar bar : bars) {
            if (bar.index() == index) {
                return bar.address();
            }
        }
        return 0;
    }

    static String name(SizedBar bar) {
        return bar.rom() ? "expansion ROM" : "BAR " + bar.index();
    }

    static String human(long size) {
        return Sizes.format(size);
    }
}
