package dev.passthru.host;

import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * How a function sits on the host.
 *
 * @param driver     the host driver bound to it, if any
 * @param iommuGroup its IOMMU group, if the host has one (or the recording says)
 * @param irq        the host interrupt line (GSI) of its INTx pin, 0 for none; empty when not
 *                   known (the source does not say, or a listing did not read it)
 * @param numaNode   its NUMA node, -1 when the host does not say; empty when not known
 */
public record HostBinding(Optional<String> driver, Optional<String> iommuGroup, OptionalInt irq, OptionalInt numaNode) {

    public static final HostBinding NONE = new HostBinding(Optional.empty(), Optional.empty(), OptionalInt.empty(),
            OptionalInt.empty());

    /** Drivers whose only job is to hold a function for pass-through. */
    public static final Set<String> STUB_DRIVERS = Set.of("vfio-pci", "pciback", "xen-pciback", "pci-stub");

    /** Bound to nothing, or to a pass-through stub. */
    public boolean handedOver() {
        return driver.isEmpty() || STUB_DRIVERS.contains(driver.get());
    }
}
