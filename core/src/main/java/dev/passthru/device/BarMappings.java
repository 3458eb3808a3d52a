package dev.passthru.device;

import dev.passthru.config.BarPlacement;
import dev.passthru.config.VirtualConfigSpace;
import dev.passthru.host.BarKind;
import dev.passthru.host.BarLayout;
import dev.passthru.host.HostBar;
import dev.passthru.hypervisor.Hypervisor;
import dev.passthru.hypervisor.HypervisorException;
import dev.passthru.hypervisor.MmioRange;
import dev.passthru.hypervisor.PagePlanner;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.List;

import static dev.passthru.pci.PciRegs.PCI_STD_NUM_BARS;

/**
 * The function's BARs and ROM as the hypervisor maps them, kept in line with the guest's config
 * space: a memory BAR is mapped while memory decode is on and the BAR is placed, an I/O BAR
 * while I/O decode is on, the ROM while its enable bit and memory decode are on. A move unmaps
 * the old place and maps the new one. What is mapped is recorded run by run as each call
 * succeeds, so that a take-down after a failure undoes exactly what was done.
 */
final class BarMappings {

    /** Slot {@link #ROM} holds the expansion ROM; 0-5 the BARs by register index. */
    static final int ROM = PCI_STD_NUM_BARS;
    private static final long UNMAPPED = -1;

    private final Hypervisor hypervisor;
    private final int domain;
    /** Per slot: the BAR as the machine has it (the ROM as a 32-bit memory BAR), or null. */
    private final HostBar[] machineBars = new HostBar[PCI_STD_NUM_BARS + 1];
    private final BarSplit[] splits = new BarSplit[PCI_STD_NUM_BARS + 1];
    /** Per slot: the guest address mapped now, or {@link #UNMAPPED}. */
    private final long[] mappedAt = new long[PCI_STD_NUM_BARS + 1];
    /** Per memory slot: the runs mapped now, in the order they were mapped. */
    private final List<List<MmioRange>> runs = new ArrayList<>(PCI_STD_NUM_BARS + 1);

    /**
     * @param romCopied the host backend answers ROM reads from a copy, so the ROM is trapped
     *                  rather than mapped
     */
    BarMappings(Hypervisor hypervisor, int domain, BarLayout bars, @Nullable MsixLayout msix, boolean romCopied) {
        this.hypervisor = hypervisor;
        this.domain = domain;
        for (HostBar bar : bars.bars()) {
            machineBars[bar.index()] = bar;
            if (bar.kind().isMemory()) {
                splits[bar.index()] = BarSplit.of(bar, msix);
            }
        }
        if (bars.hasRom() && bars.romAddress() != 0 && !romCopied) {
            HostBar rom = new HostBar(ROM, BarKind.MEM32, false, bars.romSize(), bars.romAddress());
            machineBars[ROM] = rom;
            splits[ROM] = BarSplit.of(rom, null);
        }
        for (int slot = 0; slot <= ROM; slot++) {
            mappedAt[slot] = UNMAPPED;
            runs.add(new ArrayList<>(2));
        }
    }

    /** The split of BAR {@code index} into mapped and trapped parts; null for I/O or absent BARs. */
    BarSplit split(int index) {
        return splits[index];
    }

    /** Brings every mapping in line with the config space. */
    void sync(VirtualConfigSpace config, Failures failures) {
        for (int slot = 0; slot <= ROM; slot++) {
            HostBar bar = machineBars[slot];
            if (bar != null) {
                long wanted = wanted(config, slot, bar);
                if (mappedAt[slot] != wanted) {
                    move(slot, bar, wanted, failures);
                }
            }
        }
    }

    /** Unmaps everything, going on past failures. */
    void unmapAll(Failures failures) {
        for (int slot = ROM; slot >= 0; slot--) {
            if (mappedAt[slot] != UNMAPPED) {
                unmap(slot, machineBars[slot], failures);
            }
        }
    }

    /** Forgets every mapping without unmapping: the hypervisor took them back with the domain. */
    void forgetAll() {
        for (int slot = 0; slot <= ROM; slot++) {
            mappedAt[slot] = UNMAPPED;
            runs.get(slot).clear();
        }
    }

    /** Whether anything is still mapped (a take-down step failed). */
    boolean anyMapped() {
        for (long at : mappedAt) {
            if (at != UNMAPPED) {
                return true;
            }
        }
        return false;
    }

    private long wanted(VirtualConfigSpace config, int slot, HostBar bar) {
        boolean on;
        long address;
        if (slot == ROM) {
            on = config.romEnabled() && config.memoryDecode();
            address = config.romAddress();
        } else {
            on = bar.kind().isMemory() ? config.memoryDecode() : config.ioDecode();
            address = config.barAddress(slot);
        }
        return on && BarPlacement.isPlaced(bar.kind(), address, bar.size()) ? address : UNMAPPED;
    }

    private void move(int slot, HostBar bar, long wanted, Failures failures) {
        if (mappedAt[slot] != UNMAPPED && !unmap(slot, bar, failures)) {
            return;
        }
        if (wanted != UNMAPPED) {
            map(slot, bar, wanted, failures);
        }
    }

    private void map(int slot, HostBar bar, long guest, Failures failures) {
        mappedAt[slot] = guest;
        try {
            if (bar.kind() == BarKind.IO) {
                hypervisor.mapIoPorts(domain, (int) guest, (int) bar.address(), (int) bar.size());
                return;
            }
            List<MmioRange> done = runs.get(slot);
            for (BarSplit.Segment segment : splits[slot].mapped()) {
                for (MmioRange run : PagePlanner.plan(guest + segment.offset(), bar.address() + segment.offset(),
                        segment.length())) {
                    hypervisor.mapMmio(domain, run);
                    done.add(run);
                }
            }
        } catch (HypervisorException e) {
            if (bar.kind() == BarKind.IO) {
                mappedAt[slot] = UNMAPPED;
            }
            failures.failed(e);
            // Collecting: leave no half-mapped BAR behind; the guest sees it unmapped.
            unmap(slot, bar, failures);
        }
    }

    /** Unmaps the slot; false when a step failed and something is still mapped. */
    private boolean unmap(int slot, HostBar bar, Failures failures) {
        if (bar.kind() == BarKind.IO) {
            try {
                hypervisor.unmapIoPorts(domain, (int) mappedAt[slot], (int) bar.address(), (int) bar.size());
            } catch (HypervisorException e) {
                failures.failed(e);
                return false;
            }
            mappedAt[slot] = UNMAPPED;
            return true;
        }
        List<MmioRange> done = runs.get(slot);
        boolean clean = true;
        for (int i = done.size() - 1; i >= 0; i--) {
            try {
                hypervisor.unmapMmio(domain, done.get(i));
                done.remove(i);
            } catch (HypervisorException e) {
                clean = false;
                failures.failed(e);
            }
        }
        if (clean) {
            mappedAt[slot] = UNMAPPED;
        }
        return clean;
    }

    /** The guest address a slot is mapped at now, -1 when it is not mapped. */
    long mappedAt(int slot) {
        return mappedAt[slot];
    }

    /** The runs mapped now for a slot, for tests and state views. */
    List<MmioRange> runs(int slot) {
        return List.copyOf(runs.get(slot));
    }
}
