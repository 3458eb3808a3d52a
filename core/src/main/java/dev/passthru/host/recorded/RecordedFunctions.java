package dev.passthru.host.recorded;

import dev.passthru.config.HardwareModel;
import dev.passthru.host.BarLayout;
import dev.passthru.host.HostBinding;
import dev.passthru.host.HostFunction;
import dev.passthru.host.Origin;
import dev.passthru.host.UnsizedBar;
import dev.passthru.pci.ConfigHeader;
import dev.passthru.pci.PciAddress;

import java.util.List;

/** Host functions that stand in for hardware: a recorded config space and BARs backed by memory. */
public final class RecordedFunctions {

    private RecordedFunctions() {
    }

    /**
     * @throws dev.passthru.InputError when fewer than 64 bytes were recorded
     */
    public static HostFunction of(PciAddress address, Origin origin, String source, byte[] config,
                                  BarLayout bars, List<UnsizedBar> unsized, HostBinding binding) {
        return new HostFunction(address, origin, source, ConfigHeader.of(config),
                HardwareModel.recorded(config, bars), bars, unsized, new SparseBarMemory(bars), binding);
    }
}
