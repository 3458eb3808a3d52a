package dev.passthru.hypervisor.sim;

import dev.passthru.hypervisor.RamRange;
import dev.passthru.host.BarKind;
import dev.passthru.host.BarLayout;
import dev.passthru.host.HostBar;
import dev.passthru.hypervisor.Hypervisor;
import dev.passthru.hypervisor.HypervisorContract;
import org.junit.jupiter.api.BeforeEach;

import java.util.List;

/** The port's contract on the simulated hypervisor (and, in subclasses, through decorators over it). */
class SimulatedHypervisorContractTest extends HypervisorContract {

    final SimulatedHypervisor hv = new SimulatedHypervisor();

    @BeforeEach
    void machine() {
        hv.addMachineFunction(nic(), new BarLayout(List.of(new HostBar(0, BarKind.MEM32, false, 0x10000, nicBar()),
                new HostBar(2, BarKind.IO, false, 32, 0x1000)), 0));
        hv.addMachineFunction(GPU, new BarLayout(List.of(new HostBar(0, BarKind.MEM64, true, 1L << 30, 0x80_0000_0000L)), 0));
        hv.createDomain(1, List.of(new RamRange(0, 0x8000_0000L)));
        hv.createDomain(2, List.of(new RamRange(0, 0x8000_0000L)));
        hv.assignDevice(1, nic());
    }

    @Override
    protected Hypervisor hypervisor() {
        return hv;
    }

    @Override
    protected Object held() {
        return hv.state();
    }
}
