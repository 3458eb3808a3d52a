package dev.passthru.config;

import dev.passthru.host.BarKind;
import dev.passthru.host.BarLayout;
import dev.passthru.host.HostBar;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static dev.passthru.pci.PciRegs.*;

/**
 * Register tables of the config header (PCI 3.0 section 6.2; PCI-to-PCI bridge 1.2 section 3.2).
 * Identity reads through from the host; command, BARs, ROM and everything a guest could use to
 * reach beyond its device are virtual.
 */
final class HeaderRegisters {

    private HeaderRegisters() {
    }

    /** Command bits the guest owns: decode enables, error reporting, fast back-to-back, INTx. */
    static final int COMMAND_VIRTUAL = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_PARITY
            | PCI_COMMAND_SERR | PCI_COMMAND_FAST_BACK | PCI_COMMAND_INTX_DISABLE;
    /** Command bits that reach the host: the device needs bus mastering for DMA. */
    static final int COMMAND_FORWARDED = PCI_COMMAND_MASTER | PCI_COMMAND_INVALIDATE;
    static final int COMMAND_FIXED = PCI_COMMAND_SPECIAL | PCI_COMMAND_VGA_PALETTE | PCI_COMMAND_WAIT;
    static final int STATUS_HOST_READ_ONLY = PCI_STATUS_IMM_READY | PCI_STATUS_INTERRUPT | PCI_STATUS_66MHZ
            | PCI_STATUS_UDF | PCI_STATUS_FAST_BACK | PCI_STATUS_DEVSEL_MASK;

    /**
     * The first 16 bytes, common to every header type. Decode and SERR/parity enables never
     * reach the host: a guest must not turn off the host's decode (XSA-126) nor make the device
     * raise system errors (XSA-120).
     *
     * @param capabilities whether the guest's capability list is non-empty
     * @param headerType   the host's header type without the multi-function bit
     */
    static List<Register> common(boolean capabilities, int headerType) {
        return List.of(
                Register.at(PCI_VENDOR_ID, 2, "vendor ID").hostReadOnly(0xffff),
                Register.at(PCI_DEVICE_ID, 2, "device ID").hostReadOnly(0xffff),
                Register.at(PCI_COMMAND, 2, "command")
                        .virtual(COMMAND_VIRTUAL)
                        .virtualReadOnly(COMMAND_FIXED)
                        .forward(COMMAND_FORWARDED)
                        .hook(Hook.DECODE, PCI_COMMAND_IO | PCI_COMMAND_MEMORY)
                        .hook(Hook.INTX, PCI_COMMAND_INTX_DISABLE),
                Register.at(PCI_STATUS, 2, "status")
                        .virtualReadOnly(PCI_STATUS_CAP_LIST).init(capabilities ? PCI_STATUS_CAP_LIST : 0)
                        .forwardW1c(PCI_STATUS_ERROR_BITS)
                        .hostReadOnly(STATUS_HOST_READ_ONLY),
                Register.at(PCI_REVISION_ID, 1, "revision ID").hostReadOnly(0xff),
                Register.at(PCI_CLASS_PROG, 1, "programming interface").hostReadOnly(0xff),
                Register.at(PCI_CLASS_DEVICE, 2, "class").hostReadOnly(0xffff),
                Register.at(PCI_CACHE_LINE_SIZE, 1, "cache line size").virtual(0xff),
                Register.at(PCI_LATENCY_TIMER, 1, "latency timer").virtual(0xff),
                Register.at(PCI_HEADER_TYPE, 1, "header type").virtualReadOnly(0xff).init(headerType),
                Register.at(PCI_BIST, 1, "BIST").virtualReadOnly(0xff));
    }

    /** Type 0 (endpoint) bytes 0x10-0x3f. */
    static List<Register> type0(BarLayout bars, int capabilityPointer) {
        List<Register> rows = new ArrayList<>(bars(bars, PCI_STD_NUM_BARS));
        rows.add(Register.at(PCI_CARDBUS_CIS, 4, "CardBus CIS pointer").hostReadOnly(-1));
        rows.add(Register.at(PCI_SUBSYSTEM_VENDOR_ID, 2, "subsystem vendor ID").hostReadOnly(0xffff));
        rows.add(Register.at(PCI_SUBSYSTEM_ID, 2, "subsystem ID").hostReadOnly(0xffff));
        rows.add(rom(PCI_ROM_ADDRESS, bars.romSize()));
        rows.addAll(capabilityPointer(capabilityPointer));
        rows.add(Register.at(PCI_CAPABILITY_LIST + 4, 4, "reserved").virtualReadOnly(-1));
        rows.add(Register.at(PCI_INTERRUPT_LINE, 1, "interrupt line").virtual(0xff));
        rows.add(Register.at(PCI_INTERRUPT_PIN, 1, "interrupt pin").hostReadOnly(0xff));
        rows.add(Register.at(PCI_MIN_GNT, 1, "min grant").hostReadOnly(0xff));
        rows.add(Register.at(PCI_MAX_LAT, 1, "max latency").hostReadOnly(0xff));
        return rows;
    }

    /**
     * Type 1 (bridge) bytes 0x10-0x3f. Bus numbers, windows and bridge control are virtual and
     * start as the host's: a guest must not renumber or reset the host's buses.
     */
    static List<Register> type1(BarLayout bars, int capabilityPointer) {
        List<Register> rows = new ArrayList<>(bars(bars, PCI_BRIDGE_NUM_BARS));
        rows.add(Register.at(PCI_PRIMARY_BUS, 4, "bus numbers and secondary latency").virtual(-1).fromHost());
        rows.add(Register.at(PCI_IO_BASE, 2, "I/O base and limit")
                .virtual(0xf0f0).virtualReadOnly(0x0f0f).fromHost());
        rows.add(Register.at(PCI_SEC_STATUS, 2, "secondary status")
                .forwardW1c(PCI_STATUS_ERROR_BITS).hostReadOnly(0xffff & ~PCI_STATUS_ERROR_BITS));
        rows.add(Register.at(PCI_MEMORY_BASE, 4, "memory base and limit")
                .virtual(0xfff0fff0).virtualReadOnly(0x000f000f).fromHost());
        rows.add(Register.at(PCI_MEMORY_BASE + 4, 4, "prefetchable base and limit")
                .virtual(0xfff0fff0).virtualReadOnly(0x000f000f).fromHost());
        rows.add(Register.at(PCI_MEMORY_BASE + 8, 4, "prefetchable base upper").virtual(-1).fromHost());
        rows.add(Register.at(PCI_MEMORY_BASE + 12, 4, "prefetchable limit upper").virtual(-1).fromHost());
        rows.add(Register.at(PCI_MEMORY_BASE + 16, 4, "I/O base and limit upper").virtual(-1).fromHost());
        rows.addAll(capabilityPointer(capabilityPointer));
        rows.add(rom(PCI_ROM_ADDRESS1, bars.romSize()));
        rows.add(Register.at(PCI_INTERRUPT_LINE, 1, "interrupt line").virtual(0xff));
        rows.add(Register.at(PCI_INTERRUPT_PIN, 1, "interrupt pin").hostReadOnly(0xff));
        rows.add(Register.at(PCI_BRIDGE_CONTROL, 2, "bridge control").virtual(0xffff).fromHost());
        return rows;
    }

    /** Other header types (CardBus, or garbage): bytes 0x10-0x3f read through, writes dropped. */
    static List<Register> other() {
        List<Register> rows = new ArrayList<>();
        for (int offset = PCI_BASE_ADDRESS_0; offset < PCI_STD_HEADER_SIZEOF; offset += 4) {
            rows.add(Register.at(offset, 4, "header (unknown type)").hostReadOnly(-1));
        }
        return rows;
    }

    /** The capabilities pointer and the three reserved bytes after it, which read 0. */
    private static List<Register> capabilityPointer(int pointer) {
        return List.of(
                Register.at(PCI_CAPABILITY_LIST, 1, "capabilities pointer").virtualReadOnly(0xff).init(pointer),
                Register.at(PCI_CAPABILITY_LIST + 1, 1, "reserved").virtualReadOnly(0xff),
                Register.at(PCI_CAPABILITY_LIST + 2, 2, "reserved").virtualReadOnly(0xffff));
    }

    /**
     * Virtual BARs: the guest writes addresses, the type bits are fixed, and only address bits
     * above the size stick, so a sizing probe (all-ones written) reads back the size. A 64-bit
     * BAR's upper register holds the upper address bits. Unimplemented registers read 0.
     */
    static List<Register> bars(BarLayout layout, int count) {
        List<Register> rows = new ArrayList<>();
        for (int index = 0; index < count; index++) {
            int offset = PCI_BASE_ADDRESS_0 + 4 * index;
            Optional<HostBar> found = layout.bar(index);
            if (found.isEmpty()) {
                rows.add(Register.at(offset, 4, "BAR " + index + " (unimplemented)").virtualReadOnly(-1));
                continue;
            }
            HostBar bar = found.get();
            long addressMask = -bar.size() & (bar.kind() == BarKind.IO ? PCI_BASE_ADDRESS_IO_MASK : PCI_BASE_ADDRESS_MEM_MASK);
            int low = (int) addressMask;
            rows.add(Register.at(offset, 4, "BAR " + index)
                    .virtual(low).virtualReadOnly(~low).init(bar.typeBits())
                    .hook(Hook.bar(index), low));
            if (bar.kind() == BarKind.MEM64) {
                int high = (int) (addressMask >>> 32);
                rows.add(Register.at(offset + 4, 4, "BAR " + index + " upper half")
                        .virtual(high).virtualReadOnly(~high)
                        .hook(Hook.bar(index), high));
                index++;
            }
        }
        return rows;
    }

    /** The expansion ROM BAR: address bits above the size and the enable bit are the guest's. */
    private static Register rom(int offset, long size) {
        if (size == 0) {
            return Register.at(offset, 4, "expansion ROM (none)").virtualReadOnly(-1);
        }
        int writable = (int) (-size & PCI_ROM_ADDRESS_MASK) | PCI_ROM_ADDRESS_ENABLE;
        return Register.at(offset, 4, "expansion ROM")
                .virtual(writable).virtualReadOnly(~writable)
                .hook(Hook.ROM, writable);
    }
}
