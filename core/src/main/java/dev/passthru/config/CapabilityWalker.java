package dev.passthru.config;

import dev.passthru.host.HostConfig;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import static dev.passthru.pci.CapabilityIds.PCI_CAP_ID_EXP;
import static dev.passthru.pci.PciRegs.PCI_CAPABILITY_LIST;
import static dev.passthru.pci.PciRegs.PCI_CFG_SPACE_EXP_SIZE;
import static dev.passthru.pci.PciRegs.PCI_CFG_SPACE_SIZE;
import static dev.passthru.pci.PciRegs.PCI_EXT_CAP_ID_MASK;
import static dev.passthru.pci.PciRegs.PCI_EXT_CAP_NEXT_SHIFT;
import static dev.passthru.pci.PciRegs.PCI_EXT_CAP_VER_SHIFT;
import static dev.passthru.pci.PciRegs.PCI_STATUS;
import static dev.passthru.pci.PciRegs.PCI_STATUS_CAP_LIST;
import static dev.passthru.pci.PciRegs.PCI_STD_HEADER_SIZEOF;

/**
 * Walks a host function's capability lists the way a careful OS does: the conventional list
 * only when the status register says there is one, the extended list only for a PCI Express
 * function with 4096 bytes of config space. A walk always ends: at a pointer into the header,
 * at a loop, at bytes the source could not read, or after as many entries as fit.
 */
public final class CapabilityWalker {

    /** 192 bytes of capability space hold at most 48 four-byte capabilities. */
    static final int MAX_STANDARD = (PCI_CFG_SPACE_SIZE - PCI_STD_HEADER_SIZEOF) / 4;
    /** 3840 bytes of extended space hold at most 960 four-byte capabilities. */
    static final int MAX_EXTENDED = (PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE) / 4;

    private CapabilityWalker() {
    }

    public static CapabilityChain walk(HostConfig host) {
        List<String> problems = new ArrayList<>();
        List<HostCapability> standard = walkStandard(host, problems);
        boolean express = standard.stream().anyMatch(c -> c.id() == PCI_CAP_ID_EXP);
        List<HostCapability> extended = express && host.size() == PCI_CFG_SPACE_EXP_SIZE
                ? walkExtended(host, problems)
                : List.of();
        return new CapabilityChain(standard, extended, problems);
    }

    static List<HostCapability> walkStandard(HostConfig host, List<String> problems) {
        List<HostCapability> caps = new ArrayList<>();
        if (host.readable() < PCI_STD_HEADER_SIZEOF
                || (host.read(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) == 0) {
            return caps;
        }
        BitSet seen = new BitSet(PCI_CFG_SPACE_SIZE);
        // The two low bits of every pointer are reserved and must be ignored (PCI 3.0 6.7).
        int pointer = host.read(PCI_CAPABILITY_LIST, 1) & 0xfc;
        while (pointer != 0) {
            if (pointer < PCI_STD_HEADER_SIZEOF) {
                problems.add(String.format("capability pointer 0x%02x points into the header", pointer));
                break;
            }
            if (pointer + 2 > host.readable()) {
                problems.add(String.format(
                        "capability list continues at 0x%02x, past the %d bytes that could be read",
                        pointer, host.readable()));
                break;
            }
            if (seen.get(pointer)) {
                problems.add(String.format("capability list loops back to 0x%02x", pointer));
                break;
            }
            if (caps.size() == MAX_STANDARD) {
                problems.add("capability list longer than " + MAX_STANDARD + " entries");
                break;
            }
            seen.set(pointer);
            caps.add(new HostCapability(pointer, host.read(pointer, 1), false, 0));
            pointer = host.read(pointer + 1, 1) & 0xfc;
        }
        return caps;
    }

    static List<HostCapability> walkExtended(HostConfig host, List<String> problems) {
        List<HostCapability> caps = new ArrayList<>();
        BitSet seen = new BitSet(PCI_CFG_SPACE_EXP_SIZE);
        int offset = PCI_CFG_SPACE_SIZE;
        while (true) {
            if (offset + 4 > host.readable()) {
                problems.add(String.format(
                        "extended capability list continues at 0x%03x, past the %d bytes that could be read",
                        offset, host.readable()));
                break;
            }
            int header = host.read(offset, 4);
            if (header == 0 && offset == PCI_CFG_SPACE_SIZE) {
                break;
            }
            if (header == 0xffffffff) {
                problems.add(String.format("extended capability at 0x%03x reads all-ones", offset));
                break;
            }
            if (caps.size() == MAX_EXTENDED) {
                problems.add("extended capability list longer than " + MAX_EXTENDED + " entries");
                break;
            }
            seen.set(offset);
            int id = header & PCI_EXT_CAP_ID_MASK;
            // A Null capability (ID 0) only links onwards; it describes no registers.
            if (id != 0) {
                caps.add(new HostCapability(offset, id, true, (header >>> PCI_EXT_CAP_VER_SHIFT) & 0xf));
            }
            int next = (header >>> PCI_EXT_CAP_NEXT_SHIFT) & 0xffc;
            if (next == 0) {
                break;
            }
            if (next < PCI_CFG_SPACE_SIZE) {
                problems.add(String.format(
                        "extended capability at 0x%03x points below 0x100, to 0x%03x", offset, next));
                break;
            }
            if (seen.get(next)) {
                problems.add(String.format("extended capability list loops back to 0x%03x", next));
                break;
            }
            offset = next;
        }
        return caps;
    }
}
