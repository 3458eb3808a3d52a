package dev.passthru.cli;

import dev.passthru.config.HostCapability;
import dev.passthru.host.HostConfig;

import static dev.passthru.pci.CapabilityIds.*;
import static dev.passthru.pci.PciRegs.*;

/** A host capability in a line, and with {@code -v} its main fields, in lspci's terms. */
final class CapabilityText {

    private CapabilityText() {
    }

    static String describe(HostConfig config, HostCapability cap, boolean verbose) {
        String head = cap.extended() ? String.format("[%03x v%d] %s", cap.offset(), cap.version(), cap.name())
                : String.format("[%02x] %s", cap.offset(), cap.name());
        if (!verbose) {
            return head;
        }
        String detail = detail(config, cap);
        return detail.isEmpty() ? head : head + ": " + detail;
    }

    private static String detail(HostConfig c, HostCapability cap) {
        int at = cap.offset();
        if (cap.extended()) {
            return switch (cap.id()) {
                case PCI_EXT_CAP_ID_DSN -> serial(c.read(at + 8, 4), c.read(at + 4, 4));
                case PCI_EXT_CAP_ID_VNDR -> {
                    int header = c.read(at + PCI_VNDR_HEADER, 4);
                    yield String.format("ID=%04x Rev=%d Len=%03x", header & 0xffff, (header >>> 16) & 0xf,
                            header >>> PCI_VNDR_HEADER_LEN_SHIFT);
                }
                default -> "";
            };
        }
        return switch (cap.id()) {
            case PCI_CAP_ID_PM -> String.format("version %d, D%d", c.read(at + PCI_PM_PMC, 2) & 0x7,
                    c.read(at + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK);
            case PCI_CAP_ID_MSI -> {
                int flags = c.read(at + PCI_MSI_FLAGS, 2);
                yield String.format("Enable%s Count=%d/%d Maskable%s 64bit%s", sign(flags & PCI_MSI_FLAGS_ENABLE),
                        1 << ((flags & PCI_MSI_FLAGS_QSIZE) >>> 4), 1 << ((flags & PCI_MSI_FLAGS_QMASK) >>> 1),
                        sign(flags & PCI_MSI_FLAGS_MASKBIT), sign(flags & PCI_MSI_FLAGS_64BIT));
            }
            case PCI_CAP_ID_MSIX -> {
                int flags = c.read(at + PCI_MSIX_FLAGS, 2);
                int table = c.read(at + PCI_MSIX_TABLE, 4);
                int pba = c.read(at + PCI_MSIX_PBA, 4);
                yield String.format("Enable%s Count=%d Masked%s, table BAR=%d offset=%08x, PBA BAR=%d offset=%08x",
                        sign(flags & PCI_MSIX_FLAGS_ENABLE), (flags & PCI_MSIX_FLAGS_QSIZE) + 1,
                        sign(flags & PCI_MSIX_FLAGS_MASKALL), table & 0x7, table & ~0x7, pba & 0x7, pba & ~0x7);
            }
            case PCI_CAP_ID_EXP -> express(c, at);
            case PCI_CAP_ID_VNDR -> String.format("Len=%02x", c.read(at + PCI_CAP_VNDR_LEN, 1));
            default -> "";
        };
    }

    private static String express(HostConfig c, int at) {
        int flags = c.read(at + PCI_EXP_FLAGS, 2);
        String type = switch ((flags & PCI_EXP_FLAGS_TYPE) >>> 4) {
            case 0x0 -> "Endpoint";
            case 0x1 -> "Legacy Endpoint";
            case 0x4 -> "Root Port";
            case 0x5 -> "Upstream Port";
            case 0x6 -> "Downstream Port";
            case 0x7 -> "PCI-Express to PCI/PCI-X Bridge";
            case 0x8 -> "PCI/PCI-X to PCI-Express Bridge";
            case 0x9 -> "Root Complex Integrated Endpoint";
            case 0xa -> "Root Complex Event Collector";
            default -> "Unknown type";
        };
        int linkCap = c.read(at + PCI_EXP_LNKCAP, 4);
        int linkStatus = c.read(at + PCI_EXP_LNKSTA, 2);
        return String.format("(v%d) %s, link %s x%d (capable of %s x%d)", flags & PCI_EXP_FLAGS_VERS, type,
                speed(linkStatus & 0xf), (linkStatus >>> 4) & 0x3f, speed(linkCap & 0xf), (linkCap >>> 4) & 0x3f);
    }

    private static String speed(int code) {
        return switch (code) {
            case 1 -> "2.5GT/s";
            case 2 -> "5GT/s";
            case 3 -> "8GT/s";
            case 4 -> "16GT/s";
            case 5 -> "32GT/s";
            case 6 -> "64GT/s";
            default -> "unknown speed";
        };
    }

    private static String serial(int high, int low) {
        long value = (long) high << 32 | (low & 0xffff_ffffL);
        StringBuilder sb = new StringBuilder();
        for (int i = 7; i >= 0; i--) {
            sb.append(String.format("%02x", (value >>> (8 * i)) & 0xff)).append(i > 0 ? "-" : "");
        }
        return sb.toString();
    }

    private static String sign(int bit) {
        return bit != 0 ? "+" : "-";
    }
}
