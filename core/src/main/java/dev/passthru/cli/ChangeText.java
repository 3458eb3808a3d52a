package dev.passthru.cli;

import dev.passthru.config.BarPlacement;
import dev.passthru.config.ConfigChanges;
import dev.passthru.config.MsiState;
import dev.passthru.config.VirtualConfigSpace;
import dev.passthru.host.BarKind;
import dev.passthru.host.HostBar;
import dev.passthru.host.Sizes;

import java.util.ArrayList;
import java.util.List;

/**
 * What a guest config write changed, in words with addresses in hex, for people: each kind the
 * change set names, described from the state the config space holds after the write.
 */
final class ChangeText {

    private ChangeText() {
    }

    static String describe(int changes, VirtualConfigSpace view) {
        List<String> said = new ArrayList<>();
        for (HostBar bar : view.bars().bars()) {
            if (ConfigChanges.barMoved(changes, bar.index())) {
                long address = view.barAddress(bar.index());
                said.add(String.format("BAR %d (%s, %s) %s 0x%x", bar.index(), bar.kind().description(), Sizes.format(bar.size()),
                        BarPlacement.isPlaced(bar.kind(), address, bar.size()) ? "placed at" : "holds unusable address", address));
            }
        }
        if ((changes & ConfigChanges.ROM) != 0) {
            long address = view.romAddress();
            said.add(String.format("ROM %s at 0x%x%s", view.romEnabled() ? "enabled" : "disabled", address,
                    BarPlacement.isPlaced(BarKind.MEM32, address, view.bars().romSize()) ? "" : " (unusable address)"));
        }
        if ((changes & ConfigChanges.DECODE) != 0) {
            said.add("memory decode " + onOff(view.memoryDecode()) + ", I/O decode " + onOff(view.ioDecode()));
        }
        if ((changes & ConfigChanges.INTX) != 0) {
            said.add("INTx " + (view.intxDisabled() ? "disabled" : "enabled"));
        }
        if ((changes & ConfigChanges.MSI) != 0) {
            MsiState m = view.msi();
            said.add(String.format("MSI %s, %d vector%s, address 0x%x, data 0x%04x, mask 0x%x", m.enabled() ? "enabled" : "disabled",
                    m.vectors(), m.vectors() == 1 ? "" : "s", m.address(), m.data(), m.maskBits()));
        }
        if ((changes & ConfigChanges.MSIX) != 0) {
            said.add("MSI-X " + (view.msixEnabled() ? "enabled" : "disabled") + (view.msixFunctionMasked() ? ", function masked" : ""));
        }
        if ((changes & ConfigChanges.RESET) != 0) {
            said.add("function-level reset requested");
        }
        if ((changes & ConfigChanges.POWER) != 0 && view.hostPowerState() >= 0) {
            said.add("power state D" + view.hostPowerState() + " written to the host");
        }
        return said.isEmpty() ? "no effect" : String.join("; ", said);
    }

    private static String onOff(boolean on) {
        return on ? "on" : "off";
    }
}
