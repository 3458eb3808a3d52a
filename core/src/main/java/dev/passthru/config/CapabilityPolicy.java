package dev.passthru.config;

import java.util.Map;

import static dev.passthru.pci.CapabilityIds.PCI_CAP_ID_EXP;
import static dev.passthru.pci.CapabilityIds.PCI_CAP_ID_MSI;
import static dev.passthru.pci.CapabilityIds.PCI_CAP_ID_MSIX;
import static dev.passthru.pci.CapabilityIds.PCI_CAP_ID_PM;
import static dev.passthru.pci.CapabilityIds.PCI_CAP_ID_VNDR;
import static dev.passthru.pci.CapabilityIds.PCI_EXT_CAP_ID_DSN;
import static dev.passthru.pci.CapabilityIds.PCI_EXT_CAP_ID_DVSEC;
import static dev.passthru.pci.CapabilityIds.PCI_EXT_CAP_ID_ERR;
import static dev.passthru.pci.CapabilityIds.PCI_EXT_CAP_ID_VNDR;

/**
 * Which host capabilities the guest sees. A kept capability is linked into the guest's list and
 * its registers are mediated by its register table; every other capability is hidden: unlinked,
 * reading as zeros, its registers out of the guest's reach. Change the tables below to change
 * what guests see; each entry says why it is kept.
 *
 * @param standard conventional capability IDs kept, with the reason
 * @param extended extended capability IDs kept, with the reason
 */
public record CapabilityPolicy(Map<Integer, String> standard, Map<Integer, String> extended) {

    public static final CapabilityPolicy DEFAULT = new CapabilityPolicy(
            Map.of(
                    PCI_CAP_ID_PM, "drivers set D-states; the state stays virtual unless power_mgmt=1",
                    PCI_CAP_ID_MSI, "message interrupts: control, address, data and masks are virtual",
                    PCI_CAP_ID_MSIX, "message interrupts: enable and function mask are virtual",
                    PCI_CAP_ID_EXP, "drivers read link and device capabilities; controls are virtual",
                    PCI_CAP_ID_VNDR, "device-specific: drivers find their registers through it"),
            Map.of(
                    PCI_EXT_CAP_ID_ERR, "errors are reported to the guest; masks and severities are virtual",
                    PCI_EXT_CAP_ID_DSN, "read-only serial number that drivers use to tell devices apart",
                    PCI_EXT_CAP_ID_VNDR, "device-specific: drivers find their registers through it",
                    PCI_EXT_CAP_ID_DVSEC, "device-specific: drivers find their registers through it"));

    public CapabilityPolicy {
        standard = Map.copyOf(standard);
        extended = Map.copyOf(extended);
    }

    public boolean keeps(HostCapability cap) {
        return (cap.extended() ? extended : standard).containsKey(cap.id());
    }

    /** Why a capability is kept, or why it is hidden. */
    public String reason(HostCapability cap) {
        String why = (cap.extended() ? extended : standard).get(cap.id());
        return why != null ? why : "not in the policy's kept list: unlinked, reads as zeros, writes dropped";
    }
}
