package dev.passthru.cli;

import static dev.passthru.pci.PciRegs.*;

/** Command and status registers in lspci's words ({@code Control: I/O+ Mem+ ...}). */
final class HeaderText {

    private HeaderText() {
    }

    static String control(int command) {
        return flag("I/O", command, PCI_COMMAND_IO) + flag(" Mem", command, PCI_COMMAND_MEMORY)
                + flag(" BusMaster", command, PCI_COMMAND_MASTER) + flag(" SpecCycle", command, PCI_COMMAND_SPECIAL)
                + flag(" MemWINV", command, PCI_COMMAND_INVALIDATE) + flag(" VGASnoop", command, PCI_COMMAND_VGA_PALETTE)
                + flag(" ParErr", command, PCI_COMMAND_PARITY) + flag(" Stepping", command, PCI_COMMAND_WAIT)
                + flag(" SERR", command, PCI_COMMAND_SERR) + flag(" FastB2B", command, PCI_COMMAND_FAST_BACK)
                + flag(" DisINTx", command, PCI_COMMAND_INTX_DISABLE);
    }

    static String status(int status) {
        String devsel = switch ((status & PCI_STATUS_DEVSEL_MASK) >>> 9) {
            case 0 -> "fast";
            case 1 -> "medium";
            case 2 -> "slow";
            default -> "??";
        };
        return flag("Cap", status, PCI_STATUS_CAP_LIST) + flag(" 66MHz", status, PCI_STATUS_66MHZ)
                + flag(" UDF", status, PCI_STATUS_UDF) + flag(" FastB2B", status, PCI_STATUS_FAST_BACK)
                + flag(" ParErr", status, PCI_STATUS_PARITY) + " DEVSEL=" + devsel
                + flag(" >TAbort", status, PCI_STATUS_SIG_TARGET_ABORT) + flag(" <TAbort", status, PCI_STATUS_REC_TARGET_ABORT)
                + flag(" <MAbort", status, PCI_STATUS_REC_MASTER_ABORT) + flag(" >SERR", status, PCI_STATUS_SIG_SYSTEM_ERROR)
                + flag(" <PERR", status, PCI_STATUS_DETECTED_PARITY) + flag(" INTx", status, PCI_STATUS_INTERRUPT);
    }

    private static String flag(String name, int value, int bit) {
        return name + ((value & bit) != 0 ? "+" : "-");
    }
}
