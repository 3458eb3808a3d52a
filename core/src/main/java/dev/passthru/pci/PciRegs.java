package dev.passthru.pci;

/**
 * Config-space register offsets and bits, named as in the PCI Local Bus and PCI Express base
 * specifications (and Linux's pci_regs.h, which uses the same names).
 */
public final class PciRegs {

    private PciRegs() {
    }

    /** Conventional config space: the header and the capability list. */
    public static final int PCI_CFG_SPACE_SIZE = 0x100;
    /** PCI Express (and PCI-X mode 2) config space, with extended capabilities from 0x100. */
    public static final int PCI_CFG_SPACE_EXP_SIZE = 0x1000;
    /** The standard header, common part and type-specific part. */
    public static final int PCI_STD_HEADER_SIZEOF = 0x40;

    // Common header, PCI 3.0 section 6.1
    public static final int PCI_VENDOR_ID = 0x00;
    public static final int PCI_DEVICE_ID = 0x02;
    public static final int PCI_COMMAND = 0x04;
    public static final int PCI_STATUS = 0x06;
    public static final int PCI_REVISION_ID = 0x08;
    public static final int PCI_CLASS_PROG = 0x09;
    public static final int PCI_CLASS_DEVICE = 0x0a;
    public static final int PCI_CACHE_LINE_SIZE = 0x0c;
    public static final int PCI_LATENCY_TIMER = 0x0d;
    public static final int PCI_HEADER_TYPE = 0x0e;
    public static final int PCI_BIST = 0x0f;
    public static final int PCI_BASE_ADDRESS_0 = 0x10;
    public static final int PCI_CARDBUS_CIS = 0x28;
    public static final int PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
    public static final int PCI_SUBSYSTEM_ID = 0x2e;
    public static final int PCI_ROM_ADDRESS = 0x30;
    public static final int PCI_CAPABILITY_LIST = 0x34;
    public static final int PCI_INTERRUPT_LINE = 0x3c;
    public static final int PCI_INTERRUPT_PIN = 0x3d;
    public static final int PCI_MIN_GNT = 0x3e;
    public static final int PCI_MAX_LAT = 0x3f;

    // Type-1 (PCI-to-PCI bridge) header
    public static final int PCI_PRIMARY_BUS = 0x18;
    public static final int PCI_IO_BASE = 0x1c;
    public static final int PCI_SEC_STATUS = 0x1e;
    public static final int PCI_MEMORY_BASE = 0x20;
    public static final int PCI_ROM_ADDRESS1 = 0x38;
    public static final int PCI_BRIDGE_CONTROL = 0x3e;

    public static final int PCI_HEADER_TYPE_MASK = 0x7f;
    public static final int PCI_HEADER_TYPE_NORMAL = 0;
    public static final int PCI_HEADER_TYPE_BRIDGE = 1;
    public static final int PCI_HEADER_TYPE_MFD = 0x80;

    // Command register
    public static final int PCI_COMMAND_IO = 0x0001;
    public static final int PCI_COMMAND_MEMORY = 0x0002;
    public static final int PCI_COMMAND_MASTER = 0x0004;
    public static final int PCI_COMMAND_SPECIAL = 0x0008;
    public static final int PCI_COMMAND_INVALIDATE = 0x0010;
    public static final int PCI_COMMAND_VGA_PALETTE = 0x0020;
    public static final int PCI_COMMAND_PARITY = 0x0040;
    public static final int PCI_COMMAND_WAIT = 0x0080;
    public static final int PCI_COMMAND_SERR = 0x0100;
    public static final int PCI_COMMAND_FAST_BACK = 0x0200;
    public static final int PCI_COMMAND_INTX_DISABLE = 0x0400;

    // Status register
    public static final int PCI_STATUS_IMM_READY = 0x0001;
    public static final int PCI_STATUS_INTERRUPT = 0x0008;
    public static final int PCI_STATUS_CAP_LIST = 0x0010;
    public static final int PCI_STATUS_66MHZ = 0x0020;
    public static final int PCI_STATUS_UDF = 0x0040;
    public static final int PCI_STATUS_FAST_BACK = 0x0080;
    public static final int PCI_STATUS_PARITY = 0x0100;
    public static final int PCI_STATUS_DEVSEL_MASK = 0x0600;
    public static final int PCI_STATUS_SIG_TARGET_ABORT = 0x0800;
    public static final int PCI_STATUS_REC_TARGET_ABORT = 0x1000;
    public static final int PCI_STATUS_REC_MASTER_ABORT = 0x2000;
    public static final int PCI_STATUS_SIG_SYSTEM_ERROR = 0x4000;
    public static final int PCI_STATUS_DETECTED_PARITY = 0x8000;
    /** The status bits a write of 1 clears: the error bits. */
    public static final int PCI_STATUS_ERROR_BITS = PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT
            | PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT
            | PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY;

    // Base address registers, PCI 3.0 section 6.2.5.1
    public static final int PCI_BASE_ADDRESS_SPACE_IO = 0x01;
    public static final int PCI_BASE_ADDRESS_MEM_TYPE_MASK = 0x06;
    public static final int PCI_BASE_ADDRESS_MEM_TYPE_64 = 0x04;
    public static final int PCI_BASE_ADDRESS_MEM_PREFETCH = 0x08;
    public static final int PCI_BASE_ADDRESS_MEM_MASK = ~0x0f;
    public static final int PCI_BASE_ADDRESS_IO_MASK = ~0x03;
    public static final int PCI_ROM_ADDRESS_ENABLE = 0x01;
    public static final int PCI_ROM_ADDRESS_MASK = ~0x7ff;
    public static final int PCI_STD_NUM_BARS = 6;
    public static final int PCI_BRIDGE_NUM_BARS = 2;

    // Capability headers
    public static final int PCI_CAP_LIST_ID = 0;
    public static final int PCI_CAP_LIST_NEXT = 1;

    // Power management, PCI PM 1.2
    public static final int PCI_PM_PMC = 2;
    public static final int PCI_PM_CTRL = 4;
    public static final int PCI_PM_CTRL_STATE_MASK = 0x0003;
    public static final int PCI_PM_CTRL_NO_SOFT_RESET = 0x0008;
    public static final int PCI_PM_CTRL_PME_ENABLE = 0x0100;
    public static final int PCI_PM_CTRL_DATA_SEL_MASK = 0x1e00;
    public static final int PCI_PM_CTRL_DATA_SCALE_MASK = 0x6000;
    public static final int PCI_PM_CTRL_PME_STATUS = 0x8000;
    public static final int PCI_PM_PPB_EXTENSIONS = 6;
    public static final int PCI_PM_DATA_REGISTER = 7;
    public static final int PCI_PM_SIZEOF = 8;

    // MSI, PCI 3.0 section 6.8.1
    public static final int PCI_MSI_FLAGS = 2;
    public static final int PCI_MSI_FLAGS_ENABLE = 0x0001;
    public static final int PCI_MSI_FLAGS_QMASK = 0x000e;
    public static final int PCI_MSI_FLAGS_QSIZE = 0x0070;
    public static final int PCI_MSI_FLAGS_64BIT = 0x0080;
    public static final int PCI_MSI_FLAGS_MASKBIT = 0x0100;
    public static final int PCI_MSI_FLAGS_EXT_DATA_CAP = 0x0200;
    public static final int PCI_MSI_FLAGS_EXT_DATA_EN = 0x0400;
    public static final int PCI_MSI_ADDRESS_LO = 4;
    public static final int PCI_MSI_ADDRESS_HI = 8;
    public static final int PCI_MSI_DATA_32 = 8;
    public static final int PCI_MSI_MASK_32 = 12;
    public static final int PCI_MSI_PENDING_32 = 16;
    public static final int PCI_MSI_DATA_64 = 12;
    public static final int PCI_MSI_MASK_64 = 16;
    public static final int PCI_MSI_PENDING_64 = 20;

    // MSI-X, PCI 3.0 section 6.8.2
    public static final int PCI_MSIX_FLAGS = 2;
    public static final int PCI_MSIX_FLAGS_QSIZE = 0x07ff;
    public static final int PCI_MSIX_FLAGS_MASKALL = 0x4000;
    public static final int PCI_MSIX_FLAGS_ENABLE = 0x8000;
    public static final int PCI_MSIX_TABLE = 4;
    public static final int PCI_MSIX_PBA = 8;
    public static final int PCI_MSIX_TABLE_BIR = 0x7;
    public static final int PCI_MSIX_TABLE_OFFSET = 0xffff_fff8;
    public static final int PCI_MSIX_ENTRY_SIZE = 16;
    public static final int PCI_MSIX_ENTRY_LOWER_ADDR = 0;
    public static final int PCI_MSIX_ENTRY_UPPER_ADDR = 4;
    public static final int PCI_MSIX_ENTRY_DATA = 8;
    public static final int PCI_MSIX_ENTRY_VECTOR_CTRL = 12;
    public static final int PCI_MSIX_ENTRY_CTRL_MASKBIT = 0x1;
    public static final int PCI_CAP_MSIX_SIZEOF = 12;

    // PCI Express capability, PCIe 6.0 section 7.5.3
    public static final int PCI_EXP_FLAGS = 2;
    public static final int PCI_EXP_FLAGS_VERS = 0x000f;
    public static final int PCI_EXP_FLAGS_TYPE = 0x00f0;
    public static final int PCI_EXP_FLAGS_SLOT = 0x0100;
    public static final int PCI_EXP_TYPE_ROOT_PORT = 0x4;
    public static final int PCI_EXP_TYPE_DOWNSTREAM = 0x6;
    public static final int PCI_EXP_TYPE_RC_EC = 0xa;
    public static final int PCI_EXP_DEVCAP = 4;
    public static final int PCI_EXP_DEVCTL = 8;
    public static final int PCI_EXP_DEVCTL_BCR_FLR = 0x8000;
    public static final int PCI_EXP_DEVSTA = 10;
    /** Device status: correctable, non-fatal, fatal and unsupported-request detected. */
    public static final int PCI_EXP_DEVSTA_ERRORS = 0x000f;
    public static final int PCI_EXP_LNKCAP = 12;
    public static final int PCI_EXP_LNKCTL = 16;
    public static final int PCI_EXP_LNKSTA = 18;
    /** Link status: bandwidth management and autonomous bandwidth status, write-1-to-clear. */
    public static final int PCI_EXP_LNKSTA_BW_CHANGES = 0xc000;
    public static final int PCI_EXP_SLTCAP = 20;
    public static final int PCI_EXP_SLTCTL = 24;
    public static final int PCI_EXP_SLTSTA = 26;
    /** Slot status events, write-1-to-clear. */
    public static final int PCI_EXP_SLTSTA_EVENTS = 0x011f;
    public static final int PCI_EXP_RTCTL = 28;
    public static final int PCI_EXP_RTCAP = 30;
    public static final int PCI_EXP_RTSTA = 32;
    /** Root status: PME status and PME pending; PME status is write-1-to-clear. */
    public static final int PCI_EXP_RTSTA_PME = 0x00010000;
    public static final int PCI_EXP_DEVCAP2 = 36;
    public static final int PCI_EXP_DEVCTL2 = 40;
    public static final int PCI_EXP_DEVSTA2 = 42;
    public static final int PCI_EXP_LNKCAP2 = 44;
    public static final int PCI_EXP_LNKCTL2 = 48;
    public static final int PCI_EXP_LNKSTA2 = 50;
    public static final int PCI_EXP_SLTCAP2 = 52;
    public static final int PCI_EXP_SLTCTL2 = 56;
    public static final int PCI_EXP_SLTSTA2 = 58;
    /** Length of a version-2 PCI Express capability. */
    public static final int PCI_CAP_EXP_SIZEOF_V2 = 0x3c;

    // Vendor-specific capability: a length byte after the header
    public static final int PCI_CAP_VNDR_LEN = 2;

    // Extended capability header, PCIe 6.0 section 7.6.3
    public static final int PCI_EXT_CAP_ID_MASK = 0x0000ffff;
    public static final int PCI_EXT_CAP_VER_SHIFT = 16;
    public static final int PCI_EXT_CAP_NEXT_SHIFT = 20;
    public static final int PCI_EXT_CAP_NEXT_MASK = 0xfff00000;

    // Advanced Error Reporting, PCIe 6.0 section 7.8.4
    public static final int PCI_ERR_UNCOR_STATUS = 4;
    public static final int PCI_ERR_UNCOR_MASK = 8;
    public static final int PCI_ERR_UNCOR_SEVER = 12;
    public static final int PCI_ERR_COR_STATUS = 16;
    public static final int PCI_ERR_COR_MASK = 20;
    public static final int PCI_ERR_CAP = 24;
    /** ECRC generation and check enables in the AER capabilities and control register. */
    public static final int PCI_ERR_CAP_ECRC_ENABLES = 0x0140;
    /** Multiple header recording enable. */
    public static final int PCI_ERR_CAP_MHRE = 0x0400;
    public static final int PCI_ERR_HEADER_LOG = 28;
    public static final int PCI_ERR_ROOT_COMMAND = 44;
    public static final int PCI_ERR_ROOT_STATUS = 48;
    /** Root error status bits that a write of 1 clears (bits 6:0). */
    public static final int PCI_ERR_ROOT_STATUS_EVENTS = 0x0000007f;
    public static final int PCI_ERR_ROOT_ERR_SRC = 52;
    public static final int PCI_ERR_TLP_PREFIX_LOG = 56;
    public static final int PCI_EXT_CAP_ERR_SIZEOF = 0x48;

    // Device serial number
    public static final int PCI_EXT_CAP_DSN_SIZEOF = 12;

    // Vendor-specific extended capability: VSEC header with a 12-bit length
    public static final int PCI_VNDR_HEADER = 4;
    public static final int PCI_VNDR_HEADER_LEN_SHIFT = 20;
}
