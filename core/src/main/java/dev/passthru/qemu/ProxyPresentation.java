package dev.passthru.qemu;

import dev.passthru.InputError;
import dev.passthru.bus.Presentation;
import dev.passthru.host.BarKind;
import dev.passthru.host.BarLayout;
import dev.passthru.host.HostBar;
import dev.passthru.host.HostFunction;
import dev.passthru.host.Sizes;

import java.util.ArrayList;
import java.util.List;

/**
 * What a function looks like through QEMU 7.2's {@code x-pci-proxy-dev}, which sizes BARs with
 * 32-bit accesses at start-up and knows no 64-bit BARs: a 64-bit memory BAR under 4 GiB is
 * shown to the guest as a 32-bit one (its upper register then reads 0), and a BAR of 4 GiB or
 * more cannot be shown at all, which is said rather than hidden.
 */
public final class ProxyPresentation {

    private static final long FOUR_GIB = 1L << 32;

    private ProxyPresentation() {
    }

    /** @throws InputError when a BAR is too large for the proxy */
    public static Presentation of(HostFunction function) {
        List<HostBar> bars = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (HostBar bar : function.bars().bars()) {
            if (bar.kind() == BarKind.MEM64 && bar.size() >= FOUR_GIB) {
                throw new InputError(function.address() + ": BAR " + bar.index() + " (" + Sizes.format(bar.size())
                        + ", 64-bit) cannot be shown through QEMU's x-pci-proxy-dev, which sizes BARs with 32-bit accesses "
                        + "only; use the simulated guest (no --guest qemu) for it");
            }
            if (bar.kind() == BarKind.MEM64) {
                bars.add(new HostBar(bar.index(), BarKind.MEM32, bar.prefetchable(), bar.size(), bar.address()));
                notes.add("BAR " + bar.index() + " is 64-bit on the host; shown to the guest as 32-bit (QEMU's proxy knows "
                        + "no 64-bit BARs)");
            } else {
                bars.add(bar);
            }
        }
        if (notes.isEmpty()) {
            return Presentation.asIs(function);
        }
        BarLayout layout = new BarLayout(bars, function.bars().romSize(), function.bars().romAddress());
        return new Presentation(new HostFunction(function.address(), function.origin(), function.source(), function.header(),
                function.config(), layout, function.unsized(), function.memory(), function.binding()), List.copyOf(notes));
    }
}
