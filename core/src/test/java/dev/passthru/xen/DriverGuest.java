package dev.passthru.xen;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one guest of XenGuestTest reported on its serial console (driver-guest-init's PT-GUEST-
 * lines): per disk the data it wrote and read back and how long that took, per function the
 * driver bound and its interrupt lines, the config reads it timed, and its lspci -vvv.
 */
record DriverGuest(String log, Map<String, String> drivers, Map<String, Io> io, List<String> interrupts,
                   Map<String, Double> configReadsPerSecond, String lspci) {

    static final String NVME = "0000:00:05.0";
    static final String AHCI = "0000:00:06.0";
    private static final double MIB = 16;

    /** 16 MiB written and read back with O_DIRECT. */
    record Io(String wrote, String read, double writeSeconds, double readSeconds) {

        boolean verified() {
            return wrote.equals(read) && !wrote.isEmpty();
        }

        double writeMBps() {
            return MIB * 1.048576 / writeSeconds;
        }

        double readMBps() {
            return MIB * 1.048576 / readSeconds;
        }
    }

    static DriverGuest parse(String log) {
        Map<String, String> drivers = new LinkedHashMap<>();
        Map<String, Io> io = new LinkedHashMap<>();
        List<String> interrupts = new ArrayList<>();
        Map<String, Double> config = new LinkedHashMap<>();
        for (String line : log.lines().toList()) {
            String[] f = line.strip().split("\\s+");
            switch (f[0]) {
                case "PT-GUEST-DRIVER" -> drivers.put(f[1], f.length > 2 ? f[2] : "");
                case "PT-GUEST-IO" -> io.put(f[1], new Io(f[3], f[5], seconds(f[7], f[8]), seconds(f[8], f[9])));
                case "PT-GUEST-IRQ" -> interrupts.add(line.substring(line.indexOf("PT-GUEST-IRQ") + 13).strip());
                case "PT-GUEST-CFG" -> config.put(f[1], Integer.parseInt(f[2]) / 4.0 * Integer.parseInt(f[3].substring(1))
                        / seconds(f[5], f[6]));
                default -> {
                }
            }
        }
        int begin = log.indexOf("PT-GUEST-LSPCI-BEGIN");
        int end = log.indexOf("PT-GUEST-LSPCI-END");
        String lspci = begin >= 0 && end > begin ? log.substring(begin + "PT-GUEST-LSPCI-BEGIN".length(), end).strip() : "";
        return new DriverGuest(log, drivers, io, interrupts, config, lspci);
    }

    /** The interrupts counted for a driver's lines ({@code nvme0q}, {@code ahci}), summed; 0 when none. */
    long interruptsOf(String name) {
        long sum = 0;
        for (String line : interrupts) {
            if (line.contains(name)) {
                Matcher m = Pattern.compile("^\\d+:\\s+(\\d+)").matcher(line);
                if (m.find()) {
                    sum += Long.parseLong(m.group(1));
                }
            }
        }
        return sum;
    }

    /** The interrupt lines of a driver, as /proc/interrupts names their kind ("xen-pirq -msi-x"). */
    List<String> interruptKinds(String name) {
        return interrupts.stream().filter(l -> l.contains(name)).map(l -> l.replaceAll("^\\d+:\\s+\\d+\\s+", "")
                .replaceAll("\\s+", " ")).toList();
    }

    private static double seconds(String from, String to) {
        return Double.parseDouble(to) - Double.parseDouble(from);
    }
}
