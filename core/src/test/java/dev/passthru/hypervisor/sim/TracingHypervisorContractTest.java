package dev.passthru.hypervisor.sim;

import dev.passthru.hypervisor.Hypervisor;
import dev.passthru.hypervisor.TracingHypervisor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The port's contract through {@link TracingHypervisor} over the simulated hypervisor: tracing changes no answer. */
class TracingHypervisorContractTest extends SimulatedHypervisorContractTest {

    private TracingHypervisor tracing;

    @Override
    protected Hypervisor hypervisor() {
        if (tracing == null) {
            tracing = new TracingHypervisor(hv);
        }
        return tracing;
    }

    @Test
    void notes_each_call_with_its_outcome() {
        int pirq = hypervisor().mapGsi(1, nic(), gsi());
        assertThatThrownBy(() -> hypervisor().unmapPirq(1, GPU, pirq)).hasMessageEndingWith("the function holds no such pirq");
        assertThat(tracing.trace()).containsExactly(
                "map_pirq_gsi(domain 1, " + nic() + ", gsi " + gsi() + ") -> pirq " + pirq,
                "unmap_pirq(domain 1, " + GPU + ", pirq " + pirq + ") -> refused: the function holds no such pirq");
    }
}
