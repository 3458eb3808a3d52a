package dev.passthru.config;

import dev.passthru.InputError;
import dev.passthru.host.BarLayout;
import dev.passthru.host.HostConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import static dev.passthru.pci.CapabilityIds.*;
import static dev.passthru.pci.PciRegs.*;

/**
 * Builds a {@link ConfigLayout}: walks the host's capability lists, decides with the policy
 * which the guest sees, links the kept ones into the guest's lists, and compiles the header's
 * and every kept capability's register table into per-byte masks. Hidden capabilities become
 * zeros the guest cannot write. Bytes no table covers are the device's own and pass through.
 */
final class LayoutCompiler {

    private final HostConfig host;
    private final ConfigOptions options;
    private final ConfigLayout layout;
    private final boolean[] claimed;

    private LayoutCompiler(HostConfig host, BarLayout bars, ConfigOptions options) {
        this.host = host;
        this.options = options;
        int headerType = host.read(PCI_HEADER_TYPE, 1) & PCI_HEADER_TYPE_MASK;
        this.layout = new ConfigLayout(host.size(), headerType, bars);
        this.claimed = new boolean[host.size()];
        // Device-specific space passes through, as in the seed.
        Arrays.fill(layout.forwarded, 0, host.size(), (byte) 0xff);
    }

    static ConfigLayout compile(HostConfig host, BarLayout bars, ConfigOptions options) {
        if (host.readable() < PCI_STD_HEADER_SIZEOF) {
            throw new InputError("only " + host.readable()
                    + " bytes of config space could be read; the 64-byte header is needed");
        }
        LayoutCompiler compiler = new LayoutCompiler(host, bars, options);
        compiler.build();
        return compiler.layout;
    }

    private void build() {
        CapabilityChain chain = CapabilityWalker.walk(host);
        layout.problems.addAll(chain.problems());
        List<HostCapability> kept = chain.standard().stream().filter(options.policy()::keeps).toList();
        int pointer = kept.isEmpty() ? 0 : kept.getFirst().offset();

        apply(HeaderRegisters.common(!kept.isEmpty(), layout.headerType), 0, "header");
        switch (layout.headerType) {
            case PCI_HEADER_TYPE_NORMAL -> apply(HeaderRegisters.type0(layout.bars, pointer), 0, "header");
            case PCI_HEADER_TYPE_BRIDGE -> apply(HeaderRegisters.type1(layout.bars, pointer), 0, "header");
            default -> {
                layout.problems.add(String.format(
                        "header type %d is not mediated: bytes 0x10-0x3f read through, writes are dropped",
                        layout.headerType));
                apply(HeaderRegisters.other(), 0, "header");
            }
        }
        placeStandard(chain.standard(), kept);
        if (!chain.extended().isEmpty() || layout.express != 0 && layout.size == PCI_CFG_SPACE_EXP_SIZE) {
            placeExtended(chain.extended());
        }
    }

    private void placeStandard(List<HostCapability> caps, List<HostCapability> kept) {
        for (HostCapability cap : caps) {
            int length = extent(caps, cap, PCI_CFG_SPACE_SIZE);
            boolean keep = kept.contains(cap);
            layout.capabilities.add(new GuestCapability(cap, keep, length, options.policy().reason(cap)));
            if (!keep) {
                hide(cap, cap.offset(), length);
                continue;
            }
            int index = kept.indexOf(cap);
            int next = index + 1 < kept.size() ? kept.get(index + 1).offset() : 0;
            List<Register> rows = new ArrayList<>(standardTable(cap));
            rows.add(Register.at(PCI_CAP_LIST_NEXT, 1, "next capability").virtualReadOnly(0xff).init(next));
            applyWithin(rows, cap, length);
        }
    }

    private List<Register> standardTable(HostCapability cap) {
        int at = cap.offset();
        return switch (cap.id()) {
            case PCI_CAP_ID_PM -> {
                layout.powerManagement = layout.powerManagement == 0 ? at : layout.powerManagement;
                yield CapabilityRegisters.powerManagement(options.powerManagement());
            }
            case PCI_CAP_ID_MSI -> {
                layout.msi = layout.msi == 0 ? at : layout.msi;
                yield CapabilityRegisters.msi(host.read(at + PCI_MSI_FLAGS, 2));
            }
            case PCI_CAP_ID_MSIX -> {
                layout.msix = layout.msix == 0 ? at : layout.msix;
                yield CapabilityRegisters.msix();
            }
            case PCI_CAP_ID_EXP -> {
                layout.express = layout.express == 0 ? at : layout.express;
                int flags = host.read(at + PCI_EXP_FLAGS, 2);
                yield CapabilityRegisters.express(flags, CapabilityLength.express(flags));
            }
            case PCI_CAP_ID_VNDR -> CapabilityRegisters.vendor();
            default -> List.of(CapabilityRegisters.id());
        };
    }

    private void placeExtended(List<HostCapability> caps) {
        List<HostCapability> kept = caps.stream().filter(options.policy()::keeps).toList();
        boolean nullHeader = kept.isEmpty() || kept.getFirst().offset() != PCI_CFG_SPACE_SIZE;
        if (nullHeader) {
            // The list must start at 0x100: a Null capability there links to the first kept one,
            // or, with none kept, an empty header ends the list.
            int first = kept.isEmpty() ? 0 : kept.getFirst().offset();
            apply(List.of(Register.at(PCI_CFG_SPACE_SIZE, 4, "extended capability list start")
                    .virtualReadOnly(-1).init(first << PCI_EXT_CAP_NEXT_SHIFT)), 0, "extended list");
        }
        for (HostCapability cap : caps) {
            int length = extent(caps, cap, PCI_CFG_SPACE_EXP_SIZE);
            boolean keep = kept.contains(cap);
            layout.capabilities.add(new GuestCapability(cap, keep, length, options.policy().reason(cap)));
            if (!keep) {
                int skip = nullHeader && cap.offset() == PCI_CFG_SPACE_SIZE ? 4 : 0;
                hide(cap, cap.offset() + skip, length - skip);
                continue;
            }
            int index = kept.indexOf(cap);
            int next = index + 1 < kept.size() ? kept.get(index + 1).offset() : 0;
            List<Register> rows = new ArrayList<>(extendedTable(cap));
            rows.add(CapabilityRegisters.extendedIdAndVersion(next));
            applyWithin(rows, cap, length);
        }
    }

    private List<Register> extendedTable(HostCapability cap) {
        return switch (cap.id()) {
            case PCI_EXT_CAP_ID_ERR -> CapabilityRegisters.aer(expressType() == PCI_EXP_TYPE_ROOT_PORT
                    || expressType() == PCI_EXP_TYPE_RC_EC);
            case PCI_EXT_CAP_ID_DSN -> CapabilityRegisters.serialNumber();
            case PCI_EXT_CAP_ID_VNDR -> CapabilityRegisters.vendorExtended(false);
            case PCI_EXT_CAP_ID_DVSEC -> CapabilityRegisters.vendorExtended(true);
            default -> List.of();
        };
    }

    private int expressType() {
        return layout.express == 0 ? -1 : (host.read(layout.express + PCI_EXP_FLAGS, 2) & PCI_EXP_FLAGS_TYPE) >>> 4;
    }

    /**
     * Bytes a capability covers: its own length where known, never past the next capability in
     * address order nor the end of its region; an unknown one runs up to the next.
     */
    private int extent(List<HostCapability> caps, HostCapability cap, int regionEnd) {
        int bound = caps.stream()
                .mapToInt(HostCapability::offset)
                .filter(o -> o > cap.offset())
                .min()
                .orElse(regionEnd) - cap.offset();
        int own = CapabilityLength.of(host, cap, layout.headerType);
        return own == CapabilityLength.UNKNOWN ? bound : Math.min(own, bound);
    }

    /** A hidden capability reads as zeros and drops writes. */
    private void hide(HostCapability cap, int from, int length) {
        List<Register> rows = new ArrayList<>();
        int end = from + length;
        for (int at = from; at < end; ) {
            int width = (at & 3) == 0 && end - at >= 4 ? 4 : 1;
            rows.add(Register.at(at, width, "hidden " + cap.name()).virtualReadOnly(width == 4 ? -1 : 0xff));
            at += width;
        }
        apply(rows, 0, cap.toString());
    }

    /** Applies a capability's table, dropping rows that run past its extent. */
    private void applyWithin(List<Register> rows, HostCapability cap, int length) {
        List<Register> inside = new ArrayList<>();
        for (Register row : rows) {
            if (row.offset() + row.size() <= length) {
                inside.add(row);
            }
        }
        inside.sort(Comparator.comparingInt(Register::offset));
        apply(inside, cap.offset(), cap.toString());
    }

    private void apply(List<Register> rows, int base, String owner) {
        for (Register relative : rows) {
            Register row = relative.relocate(base);
            int at = row.offset();
            if (at < 0 || at + row.size() > layout.size) {
                continue;
            }
            if (overlaps(at, row.size())) {
                layout.problems.add(String.format("%s: register %s overlaps one already placed; left out", owner, row));
                continue;
            }
            place(row);
        }
    }

    private boolean overlaps(int at, int size) {
        for (int i = at; i < at + size; i++) {
            if (claimed[i]) {
                return true;
            }
        }
        return false;
    }

    private void place(Register row) {
        int at = row.offset();
        int hostBits = row.initFromHost() && at + row.size() <= host.readable() ? host.read(at, row.size()) : 0;
        int initial = (row.initFromHost() ? hostBits : row.initValue()) & row.emulated();
        int forwarded = row.forwardedBits() | (options.permissive() ? row.reservedBits() : 0);
        for (int i = 0; i < row.size(); i++) {
            int shift = 8 * i;
            claimed[at + i] = true;
            layout.emulated[at + i] = (byte) (row.emulated() >>> shift);
            layout.guestWritable[at + i] = (byte) (row.guestWritable() >>> shift);
            layout.virtualW1c[at + i] = (byte) (row.virtualW1cBits() >>> shift);
            layout.forwarded[at + i] = (byte) (forwarded >>> shift);
            layout.hostW1c[at + i] = (byte) (row.hostW1cBits() >>> shift);
            layout.reserved[at + i] = (byte) (row.reservedBits() >>> shift);
            layout.initial[at + i] = (byte) (initial >>> shift);
        }
        for (Register.HookBits hook : row.hooks()) {
            for (int i = 0; i < row.size(); i++) {
                int bits = (hook.bits() >>> (8 * i)) & 0xff;
                if (bits != 0) {
                    if (layout.hookCode[at + i] != 0) {
                        throw new IllegalStateException(row + ": two hooks on byte " + i);
                    }
                    layout.hookCode[at + i] = (byte) hook.hook().code();
                    layout.hookBits[at + i] = (byte) bits;
                }
            }
        }
        layout.registers.add(row);
    }
}
