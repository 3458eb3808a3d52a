package dev.passthru.dump;

import dev.passthru.InputError;
import dev.passthru.host.BarKind;
import dev.passthru.host.BarLayout;
import dev.passthru.host.HostBar;
import dev.passthru.host.UnsizedBar;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.passthru.pci.PciRegs.*;

/**
 * The BAR layout of a dumped function: kinds from the BAR registers' type bits, sizes from the
 * dump's {@code [size=...]} lines or from the user. A dump cannot tell a BAR's size by itself
 * (that needs a sizing probe on the live device), so a BAR that holds an address but has no
 * size is an error that says how to give one.
 */
public final class DumpBars {

    private DumpBars() {
    }

    /** What one BAR register (pair, for 64-bit) of a dump says. */
    public record BarRegister(int index, BarKind kind, boolean prefetchable, long address) {
    }

    /** The BAR registers of the function's header type, upper halves of 64-bit BARs left out. */
    public static List<BarRegister> registers(DumpedFunction function) {
        byte[] config = function.config();
        List<BarRegister> registers = new ArrayList<>();
        int count = barCount(function);
        for (int index = 0; index < count; index++) {
            int register = dword(config, PCI_BASE_ADDRESS_0 + 4 * index);
            BarKind kind = (register & PCI_BASE_ADDRESS_SPACE_IO) != 0 ? BarKind.IO
                    : (register & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64 ? BarKind.MEM64
                    : BarKind.MEM32;
            long address = register & (kind == BarKind.IO ? PCI_BASE_ADDRESS_IO_MASK : PCI_BASE_ADDRESS_MEM_MASK)
                    & 0xffff_ffffL;
            if (kind == BarKind.MEM64 && index < count - 1) {
                address |= (long) dword(config, PCI_BASE_ADDRESS_0 + 4 * index + 4) << 32;
            }
            registers.add(new BarRegister(index, kind,
                    kind.isMemory() && (register & PCI_BASE_ADDRESS_MEM_PREFETCH) != 0, address));
            if (kind == BarKind.MEM64) {
                index++;
            }
        }
        return registers;
    }

    /** The address in the expansion ROM register, enable bit left out. */
    public static long romAddress(DumpedFunction function) {
        int register = headerType(function) == PCI_HEADER_TYPE_BRIDGE ? PCI_ROM_ADDRESS1 : PCI_ROM_ADDRESS;
        return dword(function.config(), register) & PCI_ROM_ADDRESS_MASK & 0xffff_ffffL;
    }

    /** BARs a header of the function's type has: 6 for endpoints, 2 for bridges, none otherwise. */
    public static int barCount(DumpedFunction function) {
        return switch (headerType(function)) {
            case PCI_HEADER_TYPE_NORMAL -> PCI_STD_NUM_BARS;
            case PCI_HEADER_TYPE_BRIDGE -> PCI_BRIDGE_NUM_BARS;
            default -> 0;
        };
    }

    /** The BARs whose sizes are known, and those whose sizes are not. */
    public record Bars(BarLayout layout, List<UnsizedBar> unsized) {
    }

    /**
     * Sizes each BAR from {@code sizes}, else from the dump's {@code [size=...]} lines; a BAR
     * that holds an address but has neither is unsized.
     *
     * @param sizes   BAR sizes by register index that override the dump's; 0 leaves a BAR out
     * @param romSize the ROM size, overriding the dump's; {@code null} keeps the dump's
     */
    public static Bars partition(DumpedFunction function, Map<Integer, Long> sizes, @Nullable Long romSize) {
        int count = barCount(function);
        for (int index : sizes.keySet()) {
            if (index < 0 || index >= count) {
                throw new InputError(function.source() + ": " + function.address() + " has no BAR " + index
                        + " (a header of type " + headerType(function) + " has " + count + ")");
            }
        }
        List<HostBar> bars = new ArrayList<>();
        List<UnsizedBar> unsized = new ArrayList<>();
        for (BarRegister register : registers(function)) {
            int index = register.index();
            Long size = sizes.containsKey(index) ? sizes.get(index) : function.barSizes().get(index);
            if (size == null && register.address() != 0) {
                unsized.add(new UnsizedBar(index, register.kind(), register.prefetchable(), register.address()));
            } else if (size != null && size != 0) {
                bars.add(new HostBar(index, register.kind(), register.prefetchable(), size, register.address()));
            }
        }
        long rom = romSize != null ? romSize : function.romSize();
        if (romSize == null && rom == 0 && romAddress(function) != 0 && count > 0) {
            unsized.add(new UnsizedBar(UnsizedBar.ROM, BarKind.MEM32, false, romAddress(function)));
        }
        try {
            return new Bars(new BarLayout(bars, rom, rom == 0 ? 0 : romAddress(function)), unsized);
        } catch (InputError e) {
            throw new InputError(function.source() + ": " + function.address() + " " + e.getMessage());
        }
    }

    /** The layout when every BAR has a size; otherwise an error naming the first that has none. */
    public static BarLayout layout(DumpedFunction function, Map<Integer, Long> sizes, @Nullable Long romSize) {
        Bars bars = partition(function, sizes, romSize);
        if (!bars.unsized().isEmpty()) {
            throw new InputError(function.source() + ": " + function.address() + " " + bars.unsized().getFirst().problem());
        }
        return bars.layout();
    }

    private static int headerType(DumpedFunction function) {
        byte[] config = function.config();
        return config.length > PCI_HEADER_TYPE ? config[PCI_HEADER_TYPE] & PCI_HEADER_TYPE_MASK : 0;
    }

    private static int dword(byte[] config, int offset) {
        if (offset + 4 > config.length) {
            return 0;
        }
        return (config[offset] & 0xff) | (config[offset + 1] & 0xff) << 8
                | (config[offset + 2] & 0xff) << 16 | (config[offset + 3] & 0xff) << 24;
    }
}
