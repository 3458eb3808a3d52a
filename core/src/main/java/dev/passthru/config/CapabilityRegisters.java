package dev.passthru.config;

import java.util.ArrayList;
import java.util.List;

import static dev.passthru.pci.PciRegs.*;

/**
 * Register tables of the capabilities the guest may see, offsets from the capability's start.
 * The header's "next" field is not here: the layout links kept capabilities itself.
 * Rules that come from an advisory say so.
 */
final class CapabilityRegisters {

    private CapabilityRegisters() {
    }

    /** The ID byte of a conventional capability. */
    static Register id() {
        return Register.at(PCI_CAP_LIST_ID, 1, "capability ID").hostReadOnly(0xff);
    }

    /** The ID and version of an extended capability; the next pointer is linked by the layout. */
    static Register extendedIdAndVersion(int next) {
        return Register.at(0, 4, "extended capability header")
                .hostReadOnly(~PCI_EXT_CAP_NEXT_MASK)
                .virtualReadOnly(PCI_EXT_CAP_NEXT_MASK).init(next << PCI_EXT_CAP_NEXT_SHIFT);
    }

    /**
     * Power management. The D-state is virtual unless {@code powerManagement} (xl's power_mgmt)
     * lets the guest program it: a host device sent to D3hot may lose its BAR programming, so
     * each such write is reported for the layer above to follow the PCI PM rules.
     */
    static List<Register> powerManagement(boolean powerManagement) {
        Register control = Register.at(PCI_PM_CTRL, 2, "PM control/status")
                .virtual(PCI_PM_CTRL_PME_ENABLE)
                .forward(PCI_PM_CTRL_DATA_SEL_MASK)
                .forwardW1c(PCI_PM_CTRL_PME_STATUS)
                .hostReadOnly(PCI_PM_CTRL_NO_SOFT_RESET | PCI_PM_CTRL_DATA_SCALE_MASK);
        control = powerManagement
                ? control.forward(PCI_PM_CTRL_STATE_MASK).hook(Hook.POWER, PCI_PM_CTRL_STATE_MASK)
                : control.virtual(PCI_PM_CTRL_STATE_MASK);
        return List.of(
                id(),
                Register.at(PCI_PM_PMC, 2, "PM capabilities").hostReadOnly(0xffff),
                control,
                Register.at(PCI_PM_PPB_EXTENSIONS, 1, "PM bridge extensions").hostReadOnly(0xff),
                Register.at(PCI_PM_DATA_REGISTER, 1, "PM data").hostReadOnly(0xff));
    }

    /**
     * MSI. Control, address, data and mask bits are all virtual: the guest never writes the
     * host's MSI address or data (XSA-128) nor its mask bits (XSA-129); the layer above programs
     * the host's MSI through the hypervisor when the guest's configuration changes.
     */
    static List<Register> msi(int flags) {
        boolean wide = (flags & PCI_MSI_FLAGS_64BIT) != 0;
        boolean maskable = (flags & PCI_MSI_FLAGS_MASKBIT) != 0;
        boolean extData = (flags & PCI_MSI_FLAGS_EXT_DATA_CAP) != 0;
        int guestControl = PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE | (extData ? PCI_MSI_FLAGS_EXT_DATA_EN : 0);
        List<Register> rows = new ArrayList<>();
        rows.add(id());
        rows.add(Register.at(PCI_MSI_FLAGS, 2, "MSI control")
                .virtual(guestControl)
                .hostReadOnly(PCI_MSI_FLAGS_QMASK | PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT
                        | PCI_MSI_FLAGS_EXT_DATA_CAP)
                .virtualReadOnly(0xffff & ~(guestControl | PCI_MSI_FLAGS_QMASK | PCI_MSI_FLAGS_64BIT
                        | PCI_MSI_FLAGS_MASKBIT | PCI_MSI_FLAGS_EXT_DATA_CAP))
                .hook(Hook.MSI, guestControl));
        rows.add(Register.at(PCI_MSI_ADDRESS_LO, 4, "MSI address")
                .virtual(0xfffffffc).virtualReadOnly(0x3).hook(Hook.MSI, 0xfffffffc));
        if (wide) {
            rows.add(Register.at(PCI_MSI_ADDRESS_HI, 4, "MSI upper address").virtual(-1).hook(Hook.MSI, -1));
        }
        int data = wide ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
        rows.add(Register.at(data, 2, "MSI data").virtual(0xffff).hook(Hook.MSI, 0xffff));
        if (extData) {
            rows.add(Register.at(data + 2, 2, "MSI extended data").virtual(0xffff).hook(Hook.MSI, 0xffff));
        } else if (maskable) {
            rows.add(Register.at(data + 2, 2, "MSI reserved").virtualReadOnly(0xffff));
        }
        if (maskable) {
            int vectors = 1 << Math.min(5, (flags & PCI_MSI_FLAGS_QMASK) >>> 1);
            int maskBits = vectors == 32 ? -1 : (1 << vectors) - 1;
            rows.add(Register.at(wide ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32, 4, "MSI mask bits")
                    .virtual(maskBits).virtualReadOnly(~maskBits).hook(Hook.MSI, maskBits));
            rows.add(Register.at(wide ? PCI_MSI_PENDING_64 : PCI_MSI_PENDING_32, 4, "MSI pending bits")
                    .hostReadOnly(-1));
        }
        return rows;
    }

    /**
     * MSI-X. Enable and function mask are virtual, its reserved bits read 0 even in permissive
     * mode (the host's MSI-X control belongs to whoever programs the host's interrupts); table
     * size, table and PBA locations are the host's. The table itself lives in a BAR and is
     * trapped by the layer above.
     */
    static List<Register> msix() {
        return List.of(
                id(),
                Register.at(PCI_MSIX_FLAGS, 2, "MSI-X control")
                        .virtual(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL)
                        .virtualReadOnly(0xffff & ~(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL | PCI_MSIX_FLAGS_QSIZE))
                        .hostReadOnly(PCI_MSIX_FLAGS_QSIZE)
                        .hook(Hook.MSIX, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL),
                Register.at(PCI_MSIX_TABLE, 4, "MSI-X table offset/BIR").hostReadOnly(-1),
                Register.at(PCI_MSIX_PBA, 4, "MSI-X PBA offset/BIR").hostReadOnly(-1));
    }

    /**
     * PCI Express. Capability registers read through; every control register is virtual (the
     * guest sees what it writes; link, slot, payload size and the like stay as the host set
     * them); status bits that a 1 clears are forwarded. Initiate Function-Level Reset reads 0
     * and, written as 1, asks the layer above for a reset.
     */
    static List<Register> express(int flags, int length) {
        List<Register> rows = new ArrayList<>();
        rows.add(id());
        rows.add(Register.at(PCI_EXP_FLAGS, 2, "Express capabilities").hostReadOnly(0xffff));
        rows.add(Register.at(PCI_EXP_DEVCAP, 4, "device capabilities").hostReadOnly(-1));
        rows.add(Register.at(PCI_EXP_DEVCTL, 2, "device control")
                .virtual(0xffff & ~PCI_EXP_DEVCTL_BCR_FLR).fromHost()
                .virtualReadOnly(PCI_EXP_DEVCTL_BCR_FLR)
                .hook(Hook.FLR, PCI_EXP_DEVCTL_BCR_FLR));
        rows.add(Register.at(PCI_EXP_DEVSTA, 2, "device status")
                .forwardW1c(PCI_EXP_DEVSTA_ERRORS).hostReadOnly(0x0030));
        rows.add(Register.at(PCI_EXP_LNKCAP, 4, "link capabilities").hostReadOnly(-1));
        rows.add(Register.at(PCI_EXP_LNKCTL, 2, "link control").virtual(0xffff).fromHost());
        rows.add(Register.at(PCI_EXP_LNKSTA, 2, "link status")
                .hostReadOnly(0xffff & ~PCI_EXP_LNKSTA_BW_CHANGES).forwardW1c(PCI_EXP_LNKSTA_BW_CHANGES));
        rows.add(Register.at(PCI_EXP_SLTCAP, 4, "slot capabilities").hostReadOnly(-1));
        rows.add(Register.at(PCI_EXP_SLTCTL, 2, "slot control").virtual(0xffff).fromHost());
        rows.add(Register.at(PCI_EXP_SLTSTA, 2, "slot status")
                .forwardW1c(PCI_EXP_SLTSTA_EVENTS).hostReadOnly(0xffff & ~PCI_EXP_SLTSTA_EVENTS));
        rows.add(Register.at(PCI_EXP_RTCTL, 2, "root control").virtual(0xffff).fromHost());
        rows.add(Register.at(PCI_EXP_RTCAP, 2, "root capabilities").hostReadOnly(0xffff));
        rows.add(Register.at(PCI_EXP_RTSTA, 4, "root status")
                .forwardW1c(PCI_EXP_RTSTA_PME).hostReadOnly(~PCI_EXP_RTSTA_PME));
        rows.add(Register.at(PCI_EXP_DEVCAP2, 4, "device capabilities 2").hostReadOnly(-1));
        rows.add(Register.at(PCI_EXP_DEVCTL2, 2, "device control 2").virtual(0xffff).fromHost());
        rows.add(Register.at(PCI_EXP_DEVSTA2, 2, "device status 2").hostReadOnly(0xffff));
        rows.add(Register.at(PCI_EXP_LNKCAP2, 4, "link capabilities 2").hostReadOnly(-1));
        rows.add(Register.at(PCI_EXP_LNKCTL2, 2, "link control 2").virtual(0xffff).fromHost());
        rows.add(Register.at(PCI_EXP_LNKSTA2, 2, "link status 2").hostReadOnly(0xffdf).forwardW1c(0x0020));
        rows.add(Register.at(PCI_EXP_SLTCAP2, 4, "slot capabilities 2").hostReadOnly(-1));
        rows.add(Register.at(PCI_EXP_SLTCTL2, 2, "slot control 2").virtual(0xffff).fromHost());
        rows.add(Register.at(PCI_EXP_SLTSTA2, 2, "slot status 2").hostReadOnly(0xffff));
        rows.removeIf(r -> r.offset() + r.size() > length);
        return rows;
    }

    /** Vendor-specific: ID and length; the body is the device's own and passes through. */
    static List<Register> vendor() {
        return List.of(id(), Register.at(PCI_CAP_VNDR_LEN, 1, "vendor capability length").hostReadOnly(0xff));
    }

    /**
     * Advanced Error Reporting. Status bits that a 1 clears are forwarded, so the guest can
     * acknowledge its device's errors; masks, severities and enables are virtual, so the host's
     * error handling stays as the host set it. Root registers apply to root ports only.
     */
    static List<Register> aer(boolean rootPort) {
        List<Register> rows = new ArrayList<>();
        rows.add(Register.at(PCI_ERR_UNCOR_STATUS, 4, "AER uncorrectable status").forwardW1c(-1));
        rows.add(Register.at(PCI_ERR_UNCOR_MASK, 4, "AER uncorrectable mask").virtual(-1).fromHost());
        rows.add(Register.at(PCI_ERR_UNCOR_SEVER, 4, "AER uncorrectable severity").virtual(-1).fromHost());
        rows.add(Register.at(PCI_ERR_COR_STATUS, 4, "AER correctable status").forwardW1c(-1));
        rows.add(Register.at(PCI_ERR_COR_MASK, 4, "AER correctable mask").virtual(-1).fromHost());
        int enables = PCI_ERR_CAP_ECRC_ENABLES | PCI_ERR_CAP_MHRE;
        rows.add(Register.at(PCI_ERR_CAP, 4, "AER capabilities and control")
                .virtual(enables).fromHost().hostReadOnly(~enables));
        for (int i = 0; i < 4; i++) {
            rows.add(Register.at(PCI_ERR_HEADER_LOG + 4 * i, 4, "AER header log").hostReadOnly(-1));
        }
        if (rootPort) {
            rows.add(Register.at(PCI_ERR_ROOT_COMMAND, 4, "AER root error command").virtual(-1).fromHost());
            rows.add(Register.at(PCI_ERR_ROOT_STATUS, 4, "AER root error status")
                    .forwardW1c(PCI_ERR_ROOT_STATUS_EVENTS).hostReadOnly(~PCI_ERR_ROOT_STATUS_EVENTS));
            rows.add(Register.at(PCI_ERR_ROOT_ERR_SRC, 4, "AER error source").hostReadOnly(-1));
        }
        for (int i = 0; i < 4; i++) {
            rows.add(Register.at(PCI_ERR_TLP_PREFIX_LOG + 4 * i, 4, "AER TLP prefix log").hostReadOnly(-1));
        }
        return rows;
    }

    /** Device serial number: two read-only dwords. */
    static List<Register> serialNumber() {
        return List.of(
                Register.at(4, 4, "serial number low").hostReadOnly(-1),
                Register.at(8, 4, "serial number high").hostReadOnly(-1));
    }

    /** Vendor-specific extended (VSEC) and designated (DVSEC): headers read-only, body passes. */
    static List<Register> vendorExtended(boolean designated) {
        List<Register> rows = new ArrayList<>();
        rows.add(Register.at(PCI_VNDR_HEADER, 4, "vendor-specific header").hostReadOnly(-1));
        if (designated) {
            rows.add(Register.at(PCI_VNDR_HEADER + 4, 2, "DVSEC ID").hostReadOnly(0xffff));
        }
        return rows;
    }
}
