package dev.passthru.config;

import dev.passthru.Fixtures;
import dev.passthru.dump.DumpBars;
import dev.passthru.dump.DumpedFunction;
import dev.passthru.host.BarLayout;

import java.util.Map;

/** Real functions from shared/fixtures, with the BAR sizes their dumps lack, as test subjects. */
final class Subjects {

    private Subjects() {
    }

    record Subject(DumpedFunction function, RecordingHost host, VirtualConfigSpace view) {
        int hostRead(int offset, int width) {
            return host.read(offset, width);
        }
    }

    static Subject of(DumpedFunction function, Map<Integer, Long> sizes, Long rom, ConfigOptions options) {
        BarLayout bars = DumpBars.layout(function, sizes, rom);
        RecordingHost host = new RecordingHost(function.config());
        return new Subject(function, host, VirtualConfigSpace.create(host, bars, options));
    }

    /** QEMU's virtio-net: I/O BAR 0 of 32 bytes, 4K BAR 1, 512K BAR 2, 256K ROM, MSI-X; sizes in the dump. */
    static Subject virtioNet() {
        return virtioNet(ConfigOptions.DEFAULT);
    }

    static Subject virtioNet(ConfigOptions options) {
        return of(Fixtures.function("cap-vendor-virtio.txt", "00:09.0"), Map.of(), null, options);
    }

    /** virtio-fs: 64-bit prefetchable 1G BAR 2. */
    static Subject virtioFs() {
        return of(Fixtures.function("cap-vendor-virtio.txt", "00:04.0"), Map.of(), null, ConfigOptions.DEFAULT);
    }

    /**
     * Intel 82576 NIC: PM, 64-bit maskable MSI, MSI-X, PCIe v2, AER, DSN, ARI, SR-IOV. Sizes as on
     * the real card: 128K, 4M, 32 bytes of I/O, 16K, 4M ROM.
     */
    static Subject nic82576() {
        return nic82576(ConfigOptions.DEFAULT);
    }

    static Subject nic82576(ConfigOptions options) {
        return of(Fixtures.function("cap-pcie-2.txt", "01:00.0"),
                Map.of(0, 128L << 10, 1, 4L << 20, 2, 32L, 3, 16L << 10), 4L << 20, options);
    }

    /** AMD Fiji GPU: 64-bit BARs, vendor cap, PCIe, MSI, AER and hidden ReBAR/ATS/PRI/PASID/ARI. */
    static Subject fiji() {
        return of(Fixtures.function("cap-rebar.txt", "09:00.0"),
                Map.of(0, 256L << 20, 2, 2L << 20, 4, 256L, 5, 256L << 10), 128L << 10, ConfigOptions.DEFAULT);
    }

    /** NVIDIA H100: only 96 bytes recorded; 32M, 128G and 32M 64-bit prefetchable BARs. */
    static Subject h100() {
        return of(Fixtures.function("h100-header-partial.txt", "62:00.0"),
                Map.of(0, 32L << 20, 2, 128L << 30, 4, 32L << 20), null, ConfigOptions.DEFAULT);
    }

    /** Mellanox ConnectX-3 Pro: the first extended capability (ARI at 0x100) is hidden. */
    static Subject connectX3() {
        return of(Fixtures.function("cap-aer-root.txt", "03:00.0"),
                Map.of(0, 1L << 20, 2, 8L << 20), 1L << 20, ConfigOptions.DEFAULT);
    }

    /** Intel root port (a bridge): Subsystem ID first (hidden), MSI, PCIe, PM, AER, ACS. */
    static Subject rootPort() {
        return of(Fixtures.function("cap-aer-root.txt", "00:02.0"), Map.of(), null, ConfigOptions.DEFAULT);
    }
}
