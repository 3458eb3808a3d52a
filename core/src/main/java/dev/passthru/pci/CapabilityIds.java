package dev.passthru.pci;

import java.util.Map;

/**
 * Capability IDs of the conventional list (PCI Code and ID Assignment, section 2) and of the
 * extended list (section 3), with the names lspci prints for them.
 */
public final class CapabilityIds {

    private CapabilityIds() {
    }

    public static final int PCI_CAP_ID_PM = 0x01;
    public static final int PCI_CAP_ID_AGP = 0x02;
    public static final int PCI_CAP_ID_VPD = 0x03;
    public static final int PCI_CAP_ID_SLOTID = 0x04;
    public static final int PCI_CAP_ID_MSI = 0x05;
    public static final int PCI_CAP_ID_CHSWP = 0x06;
    public static final int PCI_CAP_ID_PCIX = 0x07;
    public static final int PCI_CAP_ID_HT = 0x08;
    public static final int PCI_CAP_ID_VNDR = 0x09;
    public static final int PCI_CAP_ID_DBG = 0x0a;
    public static final int PCI_CAP_ID_CCRC = 0x0b;
    public static final int PCI_CAP_ID_SHPC = 0x0c;
    public static final int PCI_CAP_ID_SSVID = 0x0d;
    public static final int PCI_CAP_ID_AGP3 = 0x0e;
    public static final int PCI_CAP_ID_SECDEV = 0x0f;
    public static final int PCI_CAP_ID_EXP = 0x10;
    public static final int PCI_CAP_ID_MSIX = 0x11;
    public static final int PCI_CAP_ID_SATA = 0x12;
    public static final int PCI_CAP_ID_AF = 0x13;
    public static final int PCI_CAP_ID_EA = 0x14;
    public static final int PCI_CAP_ID_FPB = 0x15;

    public static final int PCI_EXT_CAP_ID_NULL = 0x00;
    public static final int PCI_EXT_CAP_ID_ERR = 0x01;
    public static final int PCI_EXT_CAP_ID_VC = 0x02;
    public static final int PCI_EXT_CAP_ID_DSN = 0x03;
    public static final int PCI_EXT_CAP_ID_PWR = 0x04;
    public static final int PCI_EXT_CAP_ID_RCLD = 0x05;
    public static final int PCI_EXT_CAP_ID_RCILC = 0x06;
    public static final int PCI_EXT_CAP_ID_RCEC = 0x07;
    public static final int PCI_EXT_CAP_ID_MFVC = 0x08;
    public static final int PCI_EXT_CAP_ID_VC9 = 0x09;
    public static final int PCI_EXT_CAP_ID_RCRB = 0x0a;
    public static final int PCI_EXT_CAP_ID_VNDR = 0x0b;
    public static final int PCI_EXT_CAP_ID_CAC = 0x0c;
    public static final int PCI_EXT_CAP_ID_ACS = 0x0d;
    public static final int PCI_EXT_CAP_ID_ARI = 0x0e;
    public static final int PCI_EXT_CAP_ID_ATS = 0x0f;
    public static final int PCI_EXT_CAP_ID_SRIOV = 0x10;
    public static final int PCI_EXT_CAP_ID_MRIOV = 0x11;
    public static final int PCI_EXT_CAP_ID_MCAST = 0x12;
    public static final int PCI_EXT_CAP_ID_PRI = 0x13;
    public static final int PCI_EXT_CAP_ID_AMD_XXX = 0x14;
    public static final int PCI_EXT_CAP_ID_REBAR = 0x15;
    public static final int PCI_EXT_CAP_ID_DPA = 0x16;
    public static final int PCI_EXT_CAP_ID_TPH = 0x17;
    public static final int PCI_EXT_CAP_ID_LTR = 0x18;
    public static final int PCI_EXT_CAP_ID_SECPCI = 0x19;
    public static final int PCI_EXT_CAP_ID_PMUX = 0x1a;
    public static final int PCI_EXT_CAP_ID_PASID = 0x1b;
    public static final int PCI_EXT_CAP_ID_LNR = 0x1c;
    public static final int PCI_EXT_CAP_ID_DPC = 0x1d;
    public static final int PCI_EXT_CAP_ID_L1SS = 0x1e;
    public static final int PCI_EXT_CAP_ID_PTM = 0x1f;
    public static final int PCI_EXT_CAP_ID_MPCIE = 0x20;
    public static final int PCI_EXT_CAP_ID_FRS = 0x21;
    public static final int PCI_EXT_CAP_ID_RTR = 0x22;
    public static final int PCI_EXT_CAP_ID_DVSEC = 0x23;
    public static final int PCI_EXT_CAP_ID_VF_REBAR = 0x24;
    public static final int PCI_EXT_CAP_ID_DLNK = 0x25;
    public static final int PCI_EXT_CAP_ID_16GT = 0x26;
    public static final int PCI_EXT_CAP_ID_LMR = 0x27;
    public static final int PCI_EXT_CAP_ID_HIER_ID = 0x28;
    public static final int PCI_EXT_CAP_ID_NPEM = 0x29;
    public static final int PCI_EXT_CAP_ID_32GT = 0x2a;
    public static final int PCI_EXT_CAP_ID_DOE = 0x2e;
    public static final int PCI_EXT_CAP_ID_IDE = 0x30;
    public static final int PCI_EXT_CAP_ID_64GT = 0x31;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(PCI_CAP_ID_PM, "Power Management"),
            Map.entry(PCI_CAP_ID_AGP, "AGP"),
            Map.entry(PCI_CAP_ID_VPD, "Vital Product Data"),
            Map.entry(PCI_CAP_ID_SLOTID, "Slot ID"),
            Map.entry(PCI_CAP_ID_MSI, "MSI"),
            Map.entry(PCI_CAP_ID_CHSWP, "CompactPCI hot-swap"),
            Map.entry(PCI_CAP_ID_PCIX, "PCI-X"),
            Map.entry(PCI_CAP_ID_HT, "HyperTransport"),
            Map.entry(PCI_CAP_ID_VNDR, "Vendor Specific Information"),
            Map.entry(PCI_CAP_ID_DBG, "Debug port"),
            Map.entry(PCI_CAP_ID_CCRC, "CompactPCI central resource control"),
            Map.entry(PCI_CAP_ID_SHPC, "Hot-plug capable"),
            Map.entry(PCI_CAP_ID_SSVID, "Subsystem"),
            Map.entry(PCI_CAP_ID_AGP3, "AGP3"),
            Map.entry(PCI_CAP_ID_SECDEV, "Secure device"),
            Map.entry(PCI_CAP_ID_EXP, "Express"),
            Map.entry(PCI_CAP_ID_MSIX, "MSI-X"),
            Map.entry(PCI_CAP_ID_SATA, "SATA HBA"),
            Map.entry(PCI_CAP_ID_AF, "PCI Advanced Features"),
            Map.entry(PCI_CAP_ID_EA, "Enhanced Allocation"),
            Map.entry(PCI_CAP_ID_FPB, "Flattening Portal Bridge"));

    private static final Map<Integer, String> EXTENDED_NAMES = Map.ofEntries(
            Map.entry(PCI_EXT_CAP_ID_NULL, "Null"),
            Map.entry(PCI_EXT_CAP_ID_ERR, "Advanced Error Reporting"),
            Map.entry(PCI_EXT_CAP_ID_VC, "Virtual Channel"),
            Map.entry(PCI_EXT_CAP_ID_DSN, "Device Serial Number"),
            Map.entry(PCI_EXT_CAP_ID_PWR, "Power Budgeting"),
            Map.entry(PCI_EXT_CAP_ID_RCLD, "Root Complex Link"),
            Map.entry(PCI_EXT_CAP_ID_RCILC, "Root Complex Internal Link Control"),
            Map.entry(PCI_EXT_CAP_ID_RCEC, "Root Complex Event Collector"),
            Map.entry(PCI_EXT_CAP_ID_MFVC, "Multi-Function Virtual Channel"),
            Map.entry(PCI_EXT_CAP_ID_VC9, "Virtual Channel"),
            Map.entry(PCI_EXT_CAP_ID_RCRB, "Root Complex Register Block"),
            Map.entry(PCI_EXT_CAP_ID_VNDR, "Vendor Specific Information"),
            Map.entry(PCI_EXT_CAP_ID_CAC, "Config Access Correlation"),
            Map.entry(PCI_EXT_CAP_ID_ACS, "Access Control Services"),
            Map.entry(PCI_EXT_CAP_ID_ARI, "Alternative Routing-ID Interpretation (ARI)"),
            Map.entry(PCI_EXT_CAP_ID_ATS, "Address Translation Service (ATS)"),
            Map.entry(PCI_EXT_CAP_ID_SRIOV, "Single Root I/O Virtualization (SR-IOV)"),
            Map.entry(PCI_EXT_CAP_ID_MRIOV, "Multi-Root I/O Virtualization (MR-IOV)"),
            Map.entry(PCI_EXT_CAP_ID_MCAST, "Multicast"),
            Map.entry(PCI_EXT_CAP_ID_PRI, "Page Request Interface (PRI)"),
            Map.entry(PCI_EXT_CAP_ID_AMD_XXX, "Reserved for AMD"),
            Map.entry(PCI_EXT_CAP_ID_REBAR, "Physical Resizable BAR"),
            Map.entry(PCI_EXT_CAP_ID_DPA, "Dynamic Power Allocation"),
            Map.entry(PCI_EXT_CAP_ID_TPH, "Transaction Processing Hints"),
            Map.entry(PCI_EXT_CAP_ID_LTR, "Latency Tolerance Reporting"),
            Map.entry(PCI_EXT_CAP_ID_SECPCI, "Secondary PCI Express"),
            Map.entry(PCI_EXT_CAP_ID_PMUX, "Protocol Multiplexing"),
            Map.entry(PCI_EXT_CAP_ID_PASID, "Process Address Space ID (PASID)"),
            Map.entry(PCI_EXT_CAP_ID_LNR, "LN Requester"),
            Map.entry(PCI_EXT_CAP_ID_DPC, "Downstream Port Containment"),
            Map.entry(PCI_EXT_CAP_ID_L1SS, "L1 PM Substates"),
            Map.entry(PCI_EXT_CAP_ID_PTM, "Precision Time Measurement"),
            Map.entry(PCI_EXT_CAP_ID_MPCIE, "PCI Express over M_PHY"),
            Map.entry(PCI_EXT_CAP_ID_FRS, "FRS Queueing"),
            Map.entry(PCI_EXT_CAP_ID_RTR, "Readiness Time Reporting"),
            Map.entry(PCI_EXT_CAP_ID_DVSEC, "Designated Vendor-Specific"),
            Map.entry(PCI_EXT_CAP_ID_VF_REBAR, "VF Resizable BAR"),
            Map.entry(PCI_EXT_CAP_ID_DLNK, "Data Link Feature"),
            Map.entry(PCI_EXT_CAP_ID_16GT, "Physical Layer 16.0 GT/s"),
            Map.entry(PCI_EXT_CAP_ID_LMR, "Lane Margining at the Receiver"),
            Map.entry(PCI_EXT_CAP_ID_HIER_ID, "Hierarchy ID"),
            Map.entry(PCI_EXT_CAP_ID_NPEM, "Native PCIe Enclosure Management"),
            Map.entry(PCI_EXT_CAP_ID_32GT, "Physical Layer 32.0 GT/s"),
            Map.entry(PCI_EXT_CAP_ID_DOE, "Data Object Exchange"),
            Map.entry(PCI_EXT_CAP_ID_IDE, "Integrity & Data Encryption"),
            Map.entry(PCI_EXT_CAP_ID_64GT, "Physical Layer 64.0 GT/s"));

    /** The name of a conventional capability, or {@code "Capability 0xNN"} for an unknown ID. */
    public static String name(int id) {
        String name = NAMES.get(id);
        return name != null ? name : String.format("Capability 0x%02x", id);
    }

    /** The name of an extended capability, or {@code "Extended capability 0xNNNN"}. */
    public static String extendedName(int id) {
        String name = EXTENDED_NAMES.get(id);
        return name != null ? name : String.format("Extended capability 0x%04x", id);
    }
}
