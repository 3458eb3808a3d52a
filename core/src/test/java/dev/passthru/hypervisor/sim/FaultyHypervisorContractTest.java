package dev.passthru.hypervisor.sim;

import dev.passthru.hypervisor.HypervisorState;
import dev.passthru.hypervisor.FaultyHypervisor;
import dev.passthru.hypervisor.Hypervisor;
import dev.passthru.hypervisor.HypervisorException;
import dev.passthru.hypervisor.MmioRange;
import dev.passthru.hypervisor.PageSize;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The port's contract through {@link FaultyHypervisor} over the simulated hypervisor (told to
 * fail nothing, it changes no answer), and the one call it fails.
 */
class FaultyHypervisorContractTest extends SimulatedHypervisorContractTest {

    private FaultyHypervisor faulty;

    @Override
    protected Hypervisor hypervisor() {
        if (faulty == null) {
            faulty = new FaultyHypervisor(hv);
        }
        return faulty;
    }

    @Test
    void fails_the_call_it_is_told_to_without_passing_it_on_and_only_that_one() {
        HypervisorState before = hv.state();
        hypervisor();
        faulty.failCall(2);
        MmioRange bar = new MmioRange(0xc000_0000L >>> 12, nicBar() >>> 12, 1, PageSize.SIZE_4K);
        faulty.mapMmio(1, bar);
        assertThatThrownBy(() -> faulty.mapIoPorts(1, 0xc000, 0x1000, 32)).isInstanceOf(HypervisorException.class)
                .hasMessage("map_ioports(domain 1, guest 0xc000, machine 0x1000, 32 ports): injected fault (call 2)");
        assertThat(hv.operationCounts()).as("the failed call reached nothing").doesNotContainKey("map_ioports");
        faulty.mapIoPorts(1, 0xc000, 0x1000, 32);
        faulty.unmapIoPorts(1, 0xc000, 0x1000, 32);
        faulty.unmapMmio(1, bar);
        assertThat(hv.state()).isEqualTo(before);
        assertThat(faulty.calls()).isEqualTo(5);
        assertThatThrownBy(() -> faulty.failCall(0)).isInstanceOf(IllegalArgumentException.class).hasMessage("calls count from 1");
    }
}
