package dev.passthru.device;

import dev.passthru.config.ConfigOptions;
import dev.passthru.dump.DumpSource;
import dev.passthru.host.Assignability;
import dev.passthru.host.HostFunction;
import dev.passthru.host.profile.ProfileSource;
import dev.passthru.hypervisor.FaultyHypervisor;
import dev.passthru.hypervisor.Hypervisor;
import dev.passthru.hypervisor.RamRange;
import dev.passthru.hypervisor.sim.SimulatedHypervisor;
import dev.passthru.pci.PciAddress;

import java.nio.file.Path;
import java.util.List;

/**
 * A simulated machine for device tests: the Intel 82576 NIC from examples/dumps (two memory
 * BARs, an I/O BAR, MSI-X in BAR 3 with the PBA two pages on, a 4 MiB ROM, INTx on GSI 16) and
 * the synthetic six-BAR, 64-vector function from examples/profiles, and domain 1 with 2 GiB of
 * RAM below 4 GiB and 4 GiB above. Functions are attached through {@link #faults}, which can be
 * told to fail a call.
 */
public final class DeviceRig {

    public static final int DOMAIN = 1;
    public static final PciAddress GUEST_SLOT = PciAddress.parse("0000:00:05.0");
    public static final Assignability.Verdict YES = new Assignability.Verdict(true, "");
    private static final Path EXAMPLES = Path.of("../examples");

    public final SimulatedHypervisor hv = new SimulatedHypervisor();
    public final FaultyHypervisor faults = new FaultyHypervisor(hv);
    public final HostFunction nic = new DumpSource(EXAMPLES.resolve("dumps/intel-82576-nic.txt")).scan().functions().getFirst();
    public final HostFunction sixBars = new ProfileSource(EXAMPLES.resolve("profiles")).scan().functions().getFirst();

    public DeviceRig() {
        hv.addMachineFunction(nic.address(), nic.bars(), nic.memory());
        hv.addMachineFunction(sixBars.address(), sixBars.bars(), sixBars.memory());
        hv.createDomain(DOMAIN, List.of(new RamRange(0, 0x8000_0000L), new RamRange(0x1_0000_0000L, 0x1_0000_0000L)));
    }

    public PassthroughDevice attach(HostFunction function, PciAddress guest, Placement placement) {
        return attach(faults, function, guest, placement);
    }

    /** Attaches the function to domain 1 through {@code hypervisor}, a backend set up with this rig's functions. */
    public static PassthroughDevice attach(Hypervisor hypervisor, HostFunction function, PciAddress guest, Placement placement) {
        return PassthroughDevice.attach(hypervisor, new AttachRequest(DOMAIN, guest, function, ConfigOptions.DEFAULT, placement), YES);
    }

    public PassthroughDevice attach(HostFunction function, Placement placement) {
        return attach(function, GUEST_SLOT, placement);
    }
}
