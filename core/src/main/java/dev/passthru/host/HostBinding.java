package dev.passthru.host;

import java.util.Optional;

/**
 * How a function sits on the host.
 *
 * @param driver     the host driver bound to it, if any
 * @param iommuGroup its IOMMU group, if the host has one (or the recording says)
 * @param irq        the host interrupt line (GSI) of its INTx pin; 0 for none
 * @param numaNode   its NUMA node; -1 when the host does not say
 */
public record HostBinding(Optional<String> driver, Optional<String> iommuGroup, int irq, int numaNode) {

    public static final HostBinding NONE = new HostBinding(Optional.empty(), Optional.empty(), 0, -1);

    /** Drivers whose only job is to hold a function for pass-through. */
    public static final java.util.Set<String> STUB_DRIVERS = java.util.Set.of("vfio-pci", "pciback", "xen-pciback", "pci-stub");

    /** Bound to nothing, or to a pass-through stub. */
    public boolean handedOver() {
        return driver.isEmpty() || STUB_DRIVERS.contains(driver.get());
    }
}
