package dev.passthru.cli;

import dev.passthru.pci.ConfigHeader;
import dev.passthru.pci.Hex;
import dev.passthru.pci.PciIds;

/** A function's identity in words, as {@code lspci -nn} and {@code lspci -n} print it. */
final class FunctionText {

    private FunctionText() {
    }

    /** {@code Ethernet controller [0200]: Red Hat, Inc. Virtio 1.0 network device [1af4:1041] (rev 01)}. */
    static String named(ConfigHeader h, PciIds ids) {
        StringBuilder out = new StringBuilder(96).append(ids.deviceClass(h.deviceClass()).orElse("Class")).append(" [");
        Hex.append(out, h.deviceClass(), 4).append("]: ").append(deviceName(h.vendor(), h.device(), ids)).append(" [");
        Hex.append(out, h.vendor(), 4).append(':');
        return revision(Hex.append(out, h.device(), 4).append(']'), h).toString();
    }

    /** {@code 0200: 1af4:1041 (rev 01)}. */
    static String numeric(ConfigHeader h) {
        StringBuilder out = Hex.append(new StringBuilder(24), h.deviceClass(), 4).append(": ");
        Hex.append(out, h.vendor(), 4).append(':');
        return revision(Hex.append(out, h.device(), 4), h).toString();
    }

    /**
     * The subsystem as lspci names it: its entry under the device where pci.ids has one, the
     * device's own name when the subsystem IDs are the device's, else the vendor and "Device".
     */
    static String subsystemName(ConfigHeader h, PciIds ids) {
        return ids.subsystem(h.vendor(), h.device(), h.subsystemVendor(), h.subsystem())
                .map(name -> ids.vendor(h.subsystemVendor()).map(v -> v + " " + name).orElse(name))
                .orElseGet(() -> h.subsystemVendor() == h.vendor() && h.subsystem() == h.device()
                        ? deviceName(h.vendor(), h.device(), ids)
                        : ids.vendor(h.subsystemVendor()).map(v -> v + " ").orElse("") + String.format("Device %04x", h.subsystem()));
    }

    /** "Red Hat, Inc. Virtio 1.0 network device", "Intel Corporation Device", "Device". */
    static String deviceName(int vendor, int device, PciIds ids) {
        String vendorName = ids.vendor(vendor).orElse("");
        String deviceName = ids.device(vendor, device).orElse("Device");
        return vendorName.isEmpty() ? deviceName : vendorName + " " + deviceName;
    }

    private static StringBuilder revision(StringBuilder out, ConfigHeader h) {
        return h.revision() != 0 ? Hex.append(out.append(" (rev "), h.revision(), 2).append(')') : out;
    }
}
