package dev.passthru.device;

import dev.passthru.pci.PciAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Map;

import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Attach is a transaction: whichever hypervisor call fails, the hypervisor ends as it was
 * before, on each backend. Every call of a full attach is failed in turn (not a sample: all of
 * them), with another function attached alongside so that an undo that took too much would show.
 */
class AttachTransactionTest {

    /** The 82576 placed as firmware would: both memory BARs, the I/O BAR, the MSI-X BAR, the ROM on. */
    private static final Placement FULL = new Placement(
            Map.of(0, 0xc000_0000L, 1, 0xc040_0000L, 2, 0xc000L, 3, 0xc080_0000L), 0xc0c0_0000L, true, true, true);

    @ParameterizedTest
    @MethodSource("dev.passthru.device.FaultRig#backends")
    void failing_any_call_of_an_attach_leaves_the_hypervisor_exactly_as_before(FaultRig.Backend backend) {
        int calls = callsOfAFullAttach(backend);
        assertThat(calls).as("assign, INTx pirq, BARs 0, 1, 3 (around the MSI-X pages), I/O, ROM, INTx bind")
                .isGreaterThanOrEqualTo(8);
        for (int failing = 1; failing <= calls; failing++) {
            FaultRig rig = backend.rig();
            rig.attachSixBars(PciAddress.parse("0000:00:06.0"), new Placement(
                    Map.of(0, 0xd000_0000L, 1, 0xd001_0000L), 0, false, true, false));
            Object before = rig.backend.held();
            rig.hv.failCall(failing);
            int n = failing;
            assertThatThrownBy(() -> rig.attach(FULL)).as("call %d", n)
                    .isInstanceOf(AttachFailed.class)
                    .hasMessageContaining("attach 0000:01:00.0 to domain 1 as 0000:00:05.0: ")
                    .hasMessageContaining("injected fault (call");
            assertThat(rig.backend.held()).as("after failing call %d of %d", n, calls).isEqualTo(before);
        }
    }

    @Test
    void the_attach_that_does_not_fail_maps_everything_the_placement_decodes() {
        DeviceRig rig = new DeviceRig();
        PassthroughDevice d = rig.attach(rig.nic, FULL);
        assertThat(d.mappedRuns(0)).hasSize(1);
        assertThat(d.mappedRuns(1)).hasSize(1);
        assertThat(d.mappedRuns(3)).hasSize(2);
        assertThat(d.mappedRuns(BarMappings.ROM)).hasSize(1);
        assertThat(rig.hv.state().domains().getFirst().ioPorts()).hasSize(1);
        assertThat(d.configRead(PCI_COMMAND, 2) & (PCI_COMMAND_MEMORY | PCI_COMMAND_IO))
                .isEqualTo(PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
    }

    private static int callsOfAFullAttach(FaultRig.Backend backend) {
        FaultRig rig = backend.rig();
        long before = rig.hv.calls();
        rig.attach(FULL);
        return (int) (rig.hv.calls() - before);
    }
}
