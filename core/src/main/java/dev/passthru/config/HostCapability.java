package dev.passthru.config;

import dev.passthru.pci.CapabilityIds;

/**
 * A capability found in the host's config space.
 *
 * @param offset   where its header starts
 * @param id       capability ID (8 bits conventional, 16 bits extended)
 * @param extended in the PCI Express extended list (0x100-0xfff)
 * @param version  extended capabilities' version field; 0 for conventional ones
 */
public record HostCapability(int offset, int id, boolean extended, int version) {

    public String name() {
        return extended ? CapabilityIds.extendedName(id) : CapabilityIds.name(id);
    }

    @Override
    public String toString() {
        return extended
                ? String.format("[%03x v%d] %s", offset, version, name())
                : String.format("[%02x] %s", offset, name());
    }
}
