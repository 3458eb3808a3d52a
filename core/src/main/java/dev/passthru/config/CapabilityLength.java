package dev.passthru.config;

import dev.passthru.host.HostConfig;

import static dev.passthru.pci.CapabilityIds.*;
import static dev.passthru.pci.PciRegs.*;

/**
 * How many bytes a capability's registers take, read from the capability itself where its size
 * varies. Unknown IDs, and IDs whose layout varies in ways not modelled here, answer
 * {@link #UNKNOWN}: the caller then assumes the capability runs up to the next one.
 */
public final class CapabilityLength {

    public static final int UNKNOWN = -1;

    private CapabilityLength() {
    }

    public static int of(HostConfig host, HostCapability cap, int headerType) {
        return cap.extended() ? extended(host, cap.offset(), cap.id()) : standard(host, cap.offset(), cap.id(), headerType);
    }

    private static int standard(HostConfig host, int at, int id, int headerType) {
        return switch (id) {
            case PCI_CAP_ID_PM -> PCI_PM_SIZEOF;
            case PCI_CAP_ID_MSI -> msi(host.read(at + PCI_MSI_FLAGS, 2));
            case PCI_CAP_ID_MSIX -> PCI_CAP_MSIX_SIZEOF;
            case PCI_CAP_ID_EXP -> express(host.read(at + PCI_EXP_FLAGS, 2));
            case PCI_CAP_ID_VNDR -> Math.max(3, host.read(at + PCI_CAP_VNDR_LEN, 1));
            case PCI_CAP_ID_AGP -> 12;
            case PCI_CAP_ID_VPD, PCI_CAP_ID_SSVID, PCI_CAP_ID_SHPC, PCI_CAP_ID_SATA -> 8;
            case PCI_CAP_ID_SLOTID, PCI_CAP_ID_CHSWP, PCI_CAP_ID_DBG -> 4;
            case PCI_CAP_ID_AF -> 6;
            case PCI_CAP_ID_PCIX -> headerType == PCI_HEADER_TYPE_BRIDGE ? 16 : 8;
            case PCI_CAP_ID_EA -> enhancedAllocation(host, at, headerType);
            default -> UNKNOWN;
        };
    }

    /** MSI: 32- or 64-bit address, optional extended data, optional per-vector mask and pending. */
    static int msi(int flags) {
        boolean wide = (flags & PCI_MSI_FLAGS_64BIT) != 0;
        if ((flags & PCI_MSI_FLAGS_MASKBIT) != 0) {
            return wide ? PCI_MSI_PENDING_64 + 4 : PCI_MSI_PENDING_32 + 4;
        }
        int data = wide ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
        return data + ((flags & PCI_MSI_FLAGS_EXT_DATA_CAP) != 0 ? 4 : 2);
    }

    /** PCI Express: version 2 has every register; version 1 only those of its port type. */
    static int express(int flags) {
        if ((flags & PCI_EXP_FLAGS_VERS) >= 2) {
            return PCI_CAP_EXP_SIZEOF_V2;
        }
        int type = (flags & PCI_EXP_FLAGS_TYPE) >>> 4;
        if (type == PCI_EXP_TYPE_ROOT_PORT || type == PCI_EXP_TYPE_RC_EC) {
            return PCI_EXP_RTSTA + 4;
        }
        if ((flags & PCI_EXP_FLAGS_SLOT) != 0 || type == PCI_EXP_TYPE_DOWNSTREAM) {
            return PCI_EXP_SLTSTA + 2;
        }
        return PCI_EXP_LNKSTA + 2;
    }

    /** Enhanced Allocation: a header dword (two for bridges), then entries sized by their headers. */
    private static int enhancedAllocation(HostConfig host, int at, int headerType) {
        int entries = host.read(at + 2, 1) & 0x3f;
        int length = headerType == PCI_HEADER_TYPE_BRIDGE ? 8 : 4;
        for (int i = 0; i < entries && at + length + 4 <= PCI_CFG_SPACE_SIZE; i++) {
            length += 4 + 4 * (host.read(at + length, 4) & 0x7);
        }
        return length;
    }

    private static int extended(HostConfig host, int at, int id) {
        return switch (id) {
            case PCI_EXT_CAP_ID_ERR -> PCI_EXT_CAP_ERR_SIZEOF;
            case PCI_EXT_CAP_ID_DSN -> PCI_EXT_CAP_DSN_SIZEOF;
            case PCI_EXT_CAP_ID_RCILC, PCI_EXT_CAP_ID_PTM, PCI_EXT_CAP_ID_DLNK -> 12;
            case PCI_EXT_CAP_ID_PWR, PCI_EXT_CAP_ID_PRI, PCI_EXT_CAP_ID_L1SS -> 16;
            case PCI_EXT_CAP_ID_RCEC, PCI_EXT_CAP_ID_ARI, PCI_EXT_CAP_ID_ATS, PCI_EXT_CAP_ID_LTR,
                 PCI_EXT_CAP_ID_PASID, PCI_EXT_CAP_ID_LNR -> 8;
            case PCI_EXT_CAP_ID_RCRB -> 20;
            case PCI_EXT_CAP_ID_SRIOV -> 64;
            case PCI_EXT_CAP_ID_MCAST -> 48;
            case PCI_EXT_CAP_ID_REBAR, PCI_EXT_CAP_ID_VF_REBAR -> 4 + 8 * Math.max(1, (host.read(at + 8, 4) >>> 5) & 0x7);
            case PCI_EXT_CAP_ID_VNDR, PCI_EXT_CAP_ID_DVSEC ->
                    Math.max(8, host.read(at + PCI_VNDR_HEADER, 4) >>> PCI_VNDR_HEADER_LEN_SHIFT);
            default -> UNKNOWN;
        };
    }
}
