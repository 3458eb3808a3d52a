package dev.passthru.bench;

import dev.passthru.dump.DumpedFunction;
import dev.passthru.dump.LspciDumpReader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Writes a fake sysfs PCI tree ({@code DIR/devices/DDDD:BB:DD.F/...}) of buses x 32 devices x 8
 * functions, each a copy of a real PCI Express NIC (the Intel 82576 of examples/dumps: PM, MSI,
 * MSI-X, PCI Express, AER, serial number, ARI, SR-IOV) with its own device ID and BAR
 * addresses, a {@code resource} file as the kernel writes it, the usual attribute files, and
 * {@code driver} and {@code iommu_group} links (one group per device). Both lspci
 * ({@code -A linux-sysfs -O sysfs.path=DIR}) and {@code passthru host list --sysfs DIR} read it.
 *
 * <p>Usage: {@code FakeSysfs DIR [BUSES]} (16 buses: 4096 functions).
 */
public final class FakeSysfs {

    private FakeSysfs() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: FakeSysfs DIR [BUSES]");
            System.exit(2);
        }
        Path root = Path.of(args[0]);
        int buses = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        byte[] template = template();
        Path devices = root.resolve("devices");
        Files.createDirectories(devices);
        int count = 0;
        for (int bus = 1; bus <= buses; bus++) {
            for (int device = 0; device < 32; device++) {
                for (int function = 0; function < 8; function++) {
                    write(devices, bus, device, function, template);
                    count++;
                }
            }
        }
        System.out.println("wrote " + count + " functions under " + devices);
    }

    private static byte[] template() throws IOException {
        try (InputStream in = FakeSysfs.class.getResourceAsStream("/intel-82576-nic.txt")) {
            DumpedFunction nic = LspciDumpReader.parse("intel-82576-nic.txt",
                    new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList()).getFirst();
            return Arrays.copyOf(nic.config(), 4096);
        }
    }

    private static void write(Path devices, int bus, int device, int function, byte[] template) throws IOException {
        String name = String.format("0000:%02x:%02x.%x", bus, device, function);
        Path dir = Files.createDirectories(devices.resolve(name));
        byte[] config = template.clone();
        int deviceId = 0x10c9 + function;
        config[2] = (byte) deviceId;
        config[3] = (byte) (deviceId >>> 8);
        config[0x0e] = (byte) (function == 0 ? 0x80 : 0x00);
        long base = 0x80000000L + ((long) bus << 24) + ((long) device << 19) + ((long) function << 16);
        putInt(config, 0x10, (int) base);
        putInt(config, 0x14, (int) (base + 0x8000));
        putInt(config, 0x18, 0x1000 * bus + 0x20 * function | 1);
        putInt(config, 0x1c, (int) (base + 0xc000));
        Files.write(dir.resolve("config"), config);
        String resource = line(base, 0x8000, 0x40200)
                + line(base + 0x8000, 0x4000, 0x40200)
                + line(0x1000L * bus + 0x20L * function, 0x20, 0x40101)
                + line(base + 0xc000, 0x4000, 0x40200)
                + line(0, 0, 0) + line(0, 0, 0) + line(0, 0, 0)
                + line(0, 0, 0).repeat(6);
        Files.writeString(dir.resolve("resource"), resource);
        Files.writeString(dir.resolve("vendor"), "0x8086\n");
        Files.writeString(dir.resolve("device"), String.format("0x%04x\n", deviceId));
        Files.writeString(dir.resolve("class"), "0x020000\n");
        Files.writeString(dir.resolve("revision"), "0x01\n");
        Files.writeString(dir.resolve("subsystem_vendor"), "0x8086\n");
        Files.writeString(dir.resolve("subsystem_device"), "0xa03c\n");
        Files.writeString(dir.resolve("irq"), Integer.toString(16 + (device % 8)) + "\n");
        Files.writeString(dir.resolve("numa_node"), "-1\n");
        Files.createSymbolicLink(dir.resolve("driver"), Path.of("../../../bus/pci/drivers/vfio-pci"));
        Files.createSymbolicLink(dir.resolve("iommu_group"),
                Path.of("../../../../kernel/iommu_groups/" + (bus * 32 + device)));
    }

    private static String line(long start, long size, long flags) {
        long end = size == 0 ? 0 : start + size - 1;
        return String.format("0x%016x 0x%016x 0x%016x\n", start, end, flags);
    }

    private static void putInt(byte[] bytes, int at, int value) {
        for (int i = 0; i < 4; i++) {
            bytes[at + i] = (byte) (value >>> (8 * i));
        }
    }
}
