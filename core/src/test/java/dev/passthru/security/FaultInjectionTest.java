package dev.passthru.security;

import dev.passthru.device.DetachReport;
import dev.passthru.device.DeviceState;
import dev.passthru.device.FaultRig;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.device.Placement;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;

import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A failure at every hypervisor call of detach, of a BAR move and of an MSI-X enable, one call
 * at a time (attach has its own exhaustive test, AttachTransactionTest), over each backend:
 * detach reports each failure once and a second detach finishes the job; a move or an enable
 * that fails leaves what the device believes and what the hypervisor holds the same, and the
 * guest sees no error.
 */
class FaultInjectionTest {

    private static final Placement PLACED = new Placement(Map.of(0, 0xc000_0000L, 1, 0xc040_0000L, 2, 0xc000L, 3, 0xc080_0000L),
            0xc0c0_0000L, true, true, true);

    private static void enableMsix(PassthroughDevice d) {
        for (int e = 0; e < 4; e++) {
            d.mmioWrite(3, e * 16L, 8, 0xfee0_0000L);
            d.mmioWrite(3, e * 16L + 8, 4, 0x40 + e);
            d.mmioWrite(3, e * 16L + 12, 4, 0);
        }
        d.configWrite(0x70 + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
    }

    private static int calls(Runnable work, FaultRig rig) {
        long before = rig.hv.calls();
        work.run();
        return (int) (rig.hv.calls() - before);
    }

    @ParameterizedTest
    @MethodSource("dev.passthru.device.FaultRig#backends")
    void a_failure_at_any_call_of_detach_is_reported_once_and_a_second_detach_releases_everything(FaultRig.Backend backend) {
        int total;
        {
            FaultRig rig = backend.rig();
            PassthroughDevice d = rig.attach(PLACED);
            enableMsix(d);
            total = calls(d::detach, rig);
        }
        assertThat(total).isGreaterThan(10);
        for (int failing = 1; failing <= total; failing++) {
            FaultRig rig = backend.rig();
            Object empty = rig.backend.held();
            PassthroughDevice d = rig.attach(PLACED);
            enableMsix(d);
            rig.hv.failCall(failing);
            DetachReport first = d.detach();
            assertThat(first.state()).isEqualTo(DeviceState.NEEDS_CLEANUP);
            assertThat(first.failures().stream().filter(f -> f.contains("injected fault"))).as("call %d", failing).hasSize(1);
            assertThat(d.detach().clean()).isTrue();
            assertThat(rig.backend.held()).as("call %d", failing).isEqualTo(empty);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.passthru.device.FaultRig#backends")
    void a_failure_at_any_call_of_a_bar_move_or_an_msix_enable_leaves_device_and_hypervisor_agreeing(FaultRig.Backend backend) {
        for (String operation : List.of("move", "msix")) {
            int total;
            {
                FaultRig rig = backend.rig();
                PassthroughDevice d = rig.attach(PLACED);
                total = calls(() -> act(operation, d), rig);
            }
            assertThat(total).as(operation).isPositive();
            for (int failing = 1; failing <= total; failing++) {
                FaultRig rig = backend.rig();
                Object empty = rig.backend.held();
                PassthroughDevice d = rig.attach(PLACED);
                rig.hv.failCall(failing);
                act(operation, d);
                assertThat(rig.backend.mappedFrames()).as("%s, call %d", operation, failing).isEqualTo(FaultRig.mappedByDevice(d));
                assertThat(d.detach().clean()).as("%s, call %d", operation, failing).isTrue();
                assertThat(rig.backend.held()).isEqualTo(empty);
            }
        }
    }

    private static void act(String operation, PassthroughDevice d) {
        if (operation.equals("move")) {
            d.configWrite(PCI_BASE_ADDRESS_0 + 4, 4, 0xd000_0000);
        } else {
            enableMsix(d);
        }
    }
}
