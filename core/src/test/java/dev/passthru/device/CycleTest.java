package dev.passthru.device;

import dev.passthru.hypervisor.HypervisorState;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Attach, use and detach many times: nothing accumulates in the hypervisor. */
class CycleTest {

    private static final Placement ALL_BARS = new Placement(Map.of(
            0, 0xd000_0000L, 1, 0xd001_0000L, 2, 0xc000L, 3, 0xd002_0000L, 4, 0xd010_0000L, 5, 0xd020_0000L),
            0xd030_0000L, true, true, true);

    @Test
    void a_thousand_cycles_with_64_msix_vectors_leave_the_hypervisor_as_it_was() {
        DeviceRig rig = new DeviceRig();
        HypervisorState before = rig.hv.state();
        int busiest = 0;
        for (int cycle = 0; cycle < 1000; cycle++) {
            PassthroughDevice d = rig.attach(rig.sixBars, ALL_BARS);
            for (int entry = 0; entry < 64; entry++) {
                d.mmioWrite(1, entry * 16L, 8, 0xfee0_0000L);
                d.mmioWrite(1, entry * 16L + 8, 4, 0x40 + entry);
                d.mmioWrite(1, entry * 16L + 12, 4, 0);
            }
            d.configWrite(0x40 + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
            busiest = Math.max(busiest, rig.hv.state().entries());
            assertThat(d.detach().clean()).isTrue();
        }
        assertThat(busiest).as("64 pirqs and 64 MSI bindings at the busiest").isGreaterThan(128);
        assertThat(rig.hv.state()).isEqualTo(before);
    }
}
