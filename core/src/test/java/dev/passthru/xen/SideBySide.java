package dev.passthru.xen;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * XenGuestTest's report: for each device one table, passthru beside xen_pt (the MSI guests a
 * and b, the INTx guests c and d), and every line where the two guests' lspci -vvv differ, with
 * why passthru shows it so. A differing line no explanation matches is {@link #unexplained()}.
 */
final class SideBySide {

    /** Why a line differs, by a pattern the line matches; what passthru virtualizes differently and why. */
    private static final Map<Pattern, String> WHY = new LinkedHashMap<>();

    static {
        why("RBE[+-] FLReset[+-]$", "Device Capabilities: xen_pt clears Function Level Reset Capable (it emulates no "
                + "FLR); passthru shows the host's, and a guest's FLR resets the real function through the kernel "
                + "(sysfs reset) and the virtual state with it");
        why("RlxdOrd[+-] .*NoSnoop[+-]|MaxReadReq \\d+ bytes", "Device Control is virtual in both, so the guest never "
                + "changes the host's; passthru starts it as the host has it (dom0's kernel left relaxed ordering and "
                + "no-snoop off and 128-byte read requests), xen_pt at the register's reset value 0x2810; lspci adds "
                + "FLReset- to it only for a function that has FLR");
        why("Interrupt: pin A routed to IRQ \\d+$", "the IRQ number is the guest kernel's own: Linux numbers its "
                + "interrupts in the order it sets them up, and the two guests' differed by two in one fresh-clone run "
                + "of 2026-12-02 (the same pin, A, in both; equal in the runs before)");
    }

    private static void why(String regex, String reason) {
        WHY.put(Pattern.compile(regex), reason);
    }

    private final DriverGuest a;
    private final DriverGuest b;
    private final DriverGuest c;
    private final DriverGuest d;
    private final String jit;
    private final List<String> unexplained = new ArrayList<>();

    SideBySide(DriverGuest a, DriverGuest b, DriverGuest c, DriverGuest d, String jit) {
        this.a = a;
        this.b = b;
        this.c = c;
        this.d = d;
        this.jit = jit;
    }

    String report() {
        StringBuilder out = new StringBuilder();
        table(out, "NVMe (QEMU nvme, 1b36:0010, MSI-X)", DriverGuest.NVME, "nvme0n1", "nvme0q");
        table(out, "AHCI (QEMU ich9-ahci, 8086:2922, MSI, I/O BAR, ROM)", DriverGuest.AHCI, "sda", "ahci");
        out.append(String.format("config reads/s through passthru by JVM mode (guest a %s, guest c -Xint): NVMe %.0f vs %.0f,"
                        + " AHCI %.0f vs %.0f%n%n", jit, a.configReadsPerSecond().get(DriverGuest.NVME),
                c.configReadsPerSecond().get(DriverGuest.NVME), a.configReadsPerSecond().get(DriverGuest.AHCI),
                c.configReadsPerSecond().get(DriverGuest.AHCI)));
        out.append("lines where the guests' lspci -vvv differ (a: passthru, b: xen_pt):\n");
        diff(out);
        return out.toString();
    }

    List<String> unexplained() {
        return unexplained;
    }

    private void table(StringBuilder out, String title, String function, String disk, String irq) {
        out.append(title).append('\n');
        out.append(String.format("| %-34s | %-22s | %-22s |%n", "", "passthru", "xen_pt"));
        out.append(String.format("| %-34s | %-22s | %-22s |%n", "driver bound", a.drivers().get(function), b.drivers().get(function)));
        out.append(String.format("| %-34s | %-22s | %-22s |%n", "interrupts, MSI-X/MSI guest", a.interruptsOf(irq), b.interruptsOf(irq)));
        out.append(String.format("| %-34s | %-22s | %-22s |%n", "interrupts, INTx guest (pci=nomsi)", c.interruptsOf(irq), d.interruptsOf(irq)));
        out.append(String.format("| %-34s | %-22s | %-22s |%n", "16 MiB read back unchanged",
                verified(a, c, disk), verified(b, d, disk)));
        out.append(String.format("| %-34s | %-22s | %-22s |%n", "MB/s written (MSI, INTx)", rate(a, c, disk, true), rate(b, d, disk, true)));
        out.append(String.format("| %-34s | %-22s | %-22s |%n", "MB/s read (MSI, INTx)", rate(a, c, disk, false), rate(b, d, disk, false)));
        out.append(String.format("| %-34s | %-22.0f | %-22.0f |%n", "config reads/s from the guest",
                a.configReadsPerSecond().get(function), b.configReadsPerSecond().get(function)));
        out.append(String.format("goals, passthru over xen_pt: config reads/s %.2f (goal 1.00 or more); MB/s written %.2f,"
                        + " read %.2f (goal 0.95 or more)%n%n",
                a.configReadsPerSecond().get(function) / b.configReadsPerSecond().get(function),
                a.io().get(disk).writeMBps() / b.io().get(disk).writeMBps(), a.io().get(disk).readMBps() / b.io().get(disk).readMBps()));
    }

    private static String verified(DriverGuest msi, DriverGuest intx, String disk) {
        return (msi.io().get(disk).verified() ? "yes" : "NO") + ", " + (intx.io().get(disk).verified() ? "yes" : "NO");
    }

    private static String rate(DriverGuest msi, DriverGuest intx, String disk, boolean write) {
        DriverGuest.Io m = msi.io().get(disk);
        DriverGuest.Io i = intx.io().get(disk);
        return String.format("%.1f, %.1f", write ? m.writeMBps() : m.readMBps(), write ? i.writeMBps() : i.readMBps());
    }

    private void diff(StringBuilder out) {
        List<String> ours = lines(a.lspci());
        List<String> theirs = lines(b.lspci());
        for (String line : ours) {
            if (!theirs.contains(line)) {
                out.append("  passthru: ").append(line.strip()).append("\n      why: ").append(explain(line)).append('\n');
            }
        }
        for (String line : theirs) {
            if (!ours.contains(line)) {
                out.append("  xen_pt:   ").append(line.strip()).append("\n      why: ").append(explain(line)).append('\n');
            }
        }
    }

    private String explain(String line) {
        for (Map.Entry<Pattern, String> why : WHY.entrySet()) {
            if (why.getKey().matcher(line).find()) {
                return why.getValue();
            }
        }
        unexplained.add(line.strip());
        return "UNEXPLAINED";
    }

    private static List<String> lines(String lspci) {
        return lspci.lines().filter(l -> !l.isBlank() && !l.contains("Unable to load libkmod")).toList();
    }
}
