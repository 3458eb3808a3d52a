package dev.passthru.bench;

import dev.passthru.config.ConfigOptions;
import dev.passthru.config.VirtualConfigSpace;
import dev.passthru.device.AttachRequest;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.device.Placement;
import dev.passthru.dump.DumpBars;
import dev.passthru.dump.DumpSource;
import dev.passthru.dump.DumpedFunction;
import dev.passthru.dump.LspciDumpReader;
import dev.passthru.host.Assignability;
import dev.passthru.host.HostFunction;
import dev.passthru.host.MemoryHostConfig;
import dev.passthru.host.profile.ProfileReader;
import dev.passthru.hypervisor.RamRange;
import dev.passthru.hypervisor.sim.SimulatedHypervisor;
import dev.passthru.pci.PciAddress;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Functions from examples/dumps and examples/profiles (packed into the benchmark jar). */
final class ExampleFunctions {

    private ExampleFunctions() {
    }

    /** QEMU's virtio-net from qemu-virtio.txt: I/O BAR 0, 4K BAR 1, 512K BAR 2, MSI-X. */
    static VirtualConfigSpace virtioNet() {
        DumpedFunction net = read("qemu-virtio.txt").stream()
                .filter(f -> f.address().shortForm().equals("00:09.0")).findFirst().orElseThrow();
        return VirtualConfigSpace.create(MemoryHostConfig.of(net.config()), DumpBars.layout(net, Map.of(), null),
                ConfigOptions.DEFAULT);
    }

    /** The NVIDIA H100 from nvidia-h100-partial.txt, with the BAR sizes nvidia-smi reports: 32M, 128G, 32M. */
    static HostFunction h100() {
        DumpedFunction h100 = read("nvidia-h100-partial.txt").getFirst();
        return DumpSource.function(h100, Map.of(0, 32L << 20, 2, 128L << 30, 4, 32L << 20), null);
    }

    /** The Intel 82576 NIC from intel-82576-nic.txt, whose dump holds its BAR sizes. */
    static HostFunction nic() {
        return DumpSource.function(read("intel-82576-nic.txt").getFirst(), Map.of(), null);
    }

    /** The 82576's config space as dumped, byte for byte. */
    static byte[] nicConfig() {
        return read("intel-82576-nic.txt").getFirst().config();
    }

    /** {@code nic} attached as 00:04.0 of domain 1 on the simulated hypervisor, as a QEMU proxy would serve it. */
    static PassthroughDevice attach(HostFunction nic) {
        SimulatedHypervisor hypervisor = new SimulatedHypervisor();
        hypervisor.addMachineFunction(nic.address(), nic.bars(), nic.memory());
        hypervisor.createDomain(1, List.of(new RamRange(0, 1L << 30)));
        return PassthroughDevice.attach(hypervisor, new AttachRequest(1, PciAddress.parse("00:04.0"), nic,
                ConfigOptions.DEFAULT, Placement.NONE), new Assignability.Verdict(true, ""));
    }

    /** The synthetic function of examples/profiles: six BARs, 64 MSI-X vectors in BAR 1, a ROM, INTx. */
    static HostFunction sixBars() {
        String name = "six-bars-64-vectors.json";
        try (InputStream in = ExampleFunctions.class.getResourceAsStream("/" + name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is not in the benchmark jar");
            }
            return ProfileReader.parse(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<DumpedFunction> read(String name) {
        try (InputStream in = ExampleFunctions.class.getResourceAsStream("/" + name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is not in the benchmark jar");
            }
            return LspciDumpReader.parse(name, new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
