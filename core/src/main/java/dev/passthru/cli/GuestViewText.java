package dev.passthru.cli;

import dev.passthru.config.CapabilityChain;
import dev.passthru.config.CapabilityWalker;
import dev.passthru.config.HostCapability;
import dev.passthru.bus.EnumeratedFunction;
import dev.passthru.bus.SizedBar;
import dev.passthru.host.HostBar;
import dev.passthru.host.MemoryHostConfig;
import dev.passthru.host.Sizes;
import dev.passthru.pci.ConfigHeader;
import dev.passthru.pci.PciAddress;
import dev.passthru.pci.PciIds;

import java.util.ArrayList;
import java.util.List;

import static dev.passthru.pci.PciRegs.*;

/** A function as the guest sees it, in the manner of {@code lspci -vv}, from the guest's own config reads. */
final class GuestViewText {

    private GuestViewText() {
    }

    static void describe(StringBuilder out, PciAddress guest, byte[] config, EnumeratedFunction found, PciIds ids) {
        ConfigHeader h = ConfigHeader.of(config);
        MemoryHostConfig view = MemoryHostConfig.of(config);
        out.append(guest.shortForm()).append(' ').append(FunctionText.named(h, ids)).append('\n');
        if (h.headerType() == PCI_HEADER_TYPE_NORMAL) {
            line(out, "Subsystem: " + FunctionText.subsystemName(h, ids));
        }
        line(out, "Control: " + HeaderText.control(view.read(PCI_COMMAND, 2)));
        line(out, "Status: " + HeaderText.status(view.read(PCI_STATUS, 2)));
        if (h.interruptPin() != 0) {
            line(out, "Interrupt: pin " + (char) ('A' + h.interruptPin() - 1));
        }
        if (found != null) {
            for (SizedBar bar : found.bars()) {
                String size = Sizes.format(bar.size());
                String at = bar.address() != 0 ? String.format("at 0x%x", bar.address()) : "unassigned";
                line(out, bar.rom()
                        ? String.format("Expansion ROM %s [disabled] [size=%s]", at, size)
                        : String.format("Region %d: %s %s [size=%s]", bar.index(),
                        HostBar.describe(bar.kind(), bar.prefetchable()), at, size));
            }
        }
        CapabilityChain chain = CapabilityWalker.walk(view);
        List<HostCapability> caps = new ArrayList<>(chain.standard());
        caps.addAll(chain.extended());
        for (HostCapability cap : caps) {
            line(out, "Capabilities: " + CapabilityText.describe(view, cap, true));
        }
        if (found != null) {
            line(out, "Guest driver: " + found.interrupts()
                    + (found.barAccess().isEmpty() ? "" : "; " + found.barAccess()));
            found.notes().forEach(note -> line(out, "Note: " + note));
        }
    }

    private static void line(StringBuilder out, String text) {
        out.append('\t').append(text).append('\n');
    }
}
