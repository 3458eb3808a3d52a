package dev.passthru.host;

import dev.passthru.pci.ConfigHeader;
import dev.passthru.pci.PciAddress;

import java.util.List;

/**
 * A host PCI function as a source describes it: its config space, its BARs, what its BARs
 * hold, and how it sits on the host.
 *
 * @param address the host address
 * @param origin  sysfs, a profile, or a dump
 * @param source  the file or folder it was read from, for messages
 * @param header  its identity (IDs, class, header type), read once when the source was scanned
 * @param config  its config space, live for sysfs, recorded otherwise
 * @param bars    the BARs and ROM whose sizes are known, with their host addresses
 * @param unsized BARs that hold an address but whose size the source does not know
 * @param memory  what its BARs hold
 * @param binding driver, IOMMU group, interrupt line, NUMA node
 */
public record HostFunction(PciAddress address, Origin origin, String source, ConfigHeader header, HostConfig config,
                           BarLayout bars, List<UnsizedBar> unsized, BarMemory memory, HostBinding binding) {

    public HostFunction {
        unsized = List.copyOf(unsized);
    }
}
