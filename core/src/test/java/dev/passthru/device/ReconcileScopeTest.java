package dev.passthru.device;

import dev.passthru.hypervisor.TracingHypervisor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A guest write reconciles only what its change set names: a table write reprograms its own
 * MSI-X entry and no other, a write that changes nothing routed or mapped makes no hypervisor
 * call, a BAR move touches mappings only. Counted on the calls that reach the hypervisor.
 */
class ReconcileScopeTest {

    private static final int MSIX_CAP = 0x70;
    private static final int ENTRIES = 4;

    private final DeviceRig rig = new DeviceRig();
    private final TracingHypervisor calls = new TracingHypervisor(rig.hv);

    /** The 82576 placed and decoding, with MSI-X on and entries 0-3 unmasked, each its own vector. */
    private PassthroughDevice withMsix() {
        PassthroughDevice d = DeviceRig.attach(calls, rig.nic, DeviceRig.GUEST_SLOT, Placement.NONE);
        d.configWrite(PCI_BASE_ADDRESS_0, 4, 0xc000_0000);
        d.configWrite(PCI_BASE_ADDRESS_0 + 4, 4, 0xc040_0000);
        d.configWrite(PCI_BASE_ADDRESS_0 + 8, 4, 0xc000);
        d.configWrite(PCI_BASE_ADDRESS_0 + 12, 4, 0xc080_0000);
        d.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
        for (int entry = 0; entry < ENTRIES; entry++) {
            d.mmioWrite(3, entry * 16L, 8, 0xfee0_1000L);
            d.mmioWrite(3, entry * 16L + 8, 4, 0x4050 + entry);
            d.mmioWrite(3, entry * 16L + 12, 4, 0);
        }
        d.configWrite(MSIX_CAP + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
        assertThat(rig.hv.state().domains().getFirst().msi()).hasSize(ENTRIES);
        return d;
    }

    private List<String> callsDuring(Runnable write) {
        int before = calls.trace().size();
        write.run();
        return calls.trace().subList(before, calls.trace().size());
    }

    @Test
    void a_table_write_reprograms_that_entry_only() {
        PassthroughDevice d = withMsix();
        List<String> made = callsDuring(() -> d.mmioWrite(3, 2 * 16L + 8, 4, 0x4070));
        assertThat(made).as("unbind, give back, map and bind entry 2 again").hasSize(4);
        assertThat(made).filteredOn(c -> c.startsWith("map_pirq_msi")).singleElement()
                .satisfies(c -> assertThat(c).contains("MSI-X entry 2)"));
        assertThat(rig.hv.state().domains().getFirst().msi()).extracting(m -> m.vector())
                .containsExactlyInAnyOrder(0x50, 0x51, 0x70, 0x53);
    }

    @Test
    void a_write_that_changes_nothing_routed_or_mapped_calls_nothing() {
        PassthroughDevice d = withMsix();
        assertThat(callsDuring(() -> d.configWrite(PCI_LATENCY_TIMER, 1, 0x40))).isEmpty();
        assertThat(callsDuring(() -> d.configWrite(PCI_CACHE_LINE_SIZE, 1, 0x10))).isEmpty();
        assertThat(callsDuring(() -> d.configWrite(MSIX_CAP + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE)))
                .as("the same enable again").isEmpty();
    }

    @Test
    void a_bar_move_touches_mappings_only_and_the_msix_enable_every_entry() {
        PassthroughDevice d = withMsix();
        List<String> moved = callsDuring(() -> d.configWrite(PCI_BASE_ADDRESS_0, 4, 0xd000_0000));
        assertThat(moved).isNotEmpty().allMatch(c -> c.startsWith("map_mmio") || c.startsWith("unmap_mmio"));
        List<String> masked = callsDuring(() -> d.configWrite(MSIX_CAP + PCI_MSIX_FLAGS, 2,
                PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL));
        assertThat(masked).filteredOn(c -> c.startsWith("unbind_msi")).hasSize(ENTRIES);
    }
}
