package dev.passthru.vfio;

import dev.passthru.host.HostFunction;
import dev.passthru.host.sysfs.SysfsSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** QEMU's edu bound to vfio-pci on this machine, for the contracts that need the real VFIO stack. */
record VfioContractDevice(String address, String group) {

    /** The first edu (1234:11e8) bound to vfio-pci, if this machine has VFIO and one. */
    static Optional<VfioContractDevice> find() {
        if (!Files.exists(Path.of("/dev/vfio/vfio")) || !Files.isDirectory(SysfsSource.DEFAULT_ROOT.resolve("devices"))) {
            return Optional.empty();
        }
        return new SysfsSource(SysfsSource.DEFAULT_ROOT, false).scan().functions().stream()
                .filter(f -> f.header().vendor() == 0x1234 && f.header().device() == 0x11e8)
                .filter(f -> f.binding().driver().map("vfio-pci"::equals).orElse(false) && f.binding().iommuGroup().isPresent())
                .findFirst()
                .map((HostFunction f) -> new VfioContractDevice(f.address().toString(), f.binding().iommuGroup().get()));
    }
}
