package dev.passthru.device;

import dev.passthru.InputError;
import dev.passthru.config.ConfigOptions;
import dev.passthru.host.Assignability;
import dev.passthru.hypervisor.MmioRange;
import dev.passthru.hypervisor.PageSize;
import dev.passthru.hypervisor.HypervisorState;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PassthroughDeviceTest {

    /** Where the guest puts the 82576's BARs: 128K, 4M, I/O 32, 16K (MSI-X), and its 4M ROM. */
    private static final long BAR0 = 0xc000_0000L;
    private static final long BAR1 = 0xc040_0000L;
    private static final int IO = 0xc000;
    private static final long BAR3 = 0xc080_0000L;
    private static final long ROM = 0xc0c0_0000L;
    private static final int MSIX_CAP = 0x70;
    private static final int MSI_CAP = 0x50;

    private final DeviceRig rig = new DeviceRig();

    private HypervisorState.Domain domain() {
        return rig.hv.state().domains().getFirst();
    }

    private static void placeAll(PassthroughDevice d) {
        d.configWrite(PCI_BASE_ADDRESS_0, 4, (int) BAR0);
        d.configWrite(PCI_BASE_ADDRESS_0 + 4, 4, (int) BAR1);
        d.configWrite(PCI_BASE_ADDRESS_0 + 8, 4, IO);
        d.configWrite(PCI_BASE_ADDRESS_0 + 12, 4, (int) BAR3);
        d.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
    }

    @Test
    void attach_assigns_and_routes_intx_but_maps_nothing_the_guest_has_not_placed() {
        PassthroughDevice d = rig.attach(rig.nic, Placement.NONE);
        assertThat(rig.hv.state().assigned()).containsEntry("0000:01:00.0", DeviceRig.DOMAIN);
        assertThat(domain().p2m()).isEmpty();
        assertThat(domain().pirqs()).singleElement().satisfies(p -> assertThat(p.source()).isEqualTo("gsi 16"));
        assertThat(domain().intx()).singleElement().satisfies(i -> {
            assertThat(i.guestDevice()).isEqualTo("0000:00:05.0");
            assertThat(i.pin()).isEqualTo('A');
        });
        assertThat(d.state()).isEqualTo(DeviceState.ATTACHED);
    }

    @Test
    void decode_on_maps_every_bar_but_the_pages_of_the_msix_table_and_pba() {
        PassthroughDevice d = rig.attach(rig.nic, Placement.NONE);
        d.configWrite(PCI_BASE_ADDRESS_0, 4, (int) BAR0);
        assertThat(domain().p2m()).as("decode is still off").isEmpty();
        placeAll(d);
        assertThat(d.mappedRuns(0)).containsExactly(new MmioRange(BAR0 >>> 12, 0xe0800000L >>> 12, 32, PageSize.SIZE_4K));
        assertThat(d.mappedRuns(1)).containsExactly(new MmioRange(BAR1 >>> 12, 0xe0000000L >>> 12, 2, PageSize.SIZE_2M));
        assertThat(d.mappedRuns(3)).containsExactly(
                new MmioRange((BAR3 + 0x1000) >>> 12, 0xe0841000L >>> 12, 1, PageSize.SIZE_4K),
                new MmioRange((BAR3 + 0x3000) >>> 12, 0xe0843000L >>> 12, 1, PageSize.SIZE_4K));
        assertThat(d.trappedRegions()).containsExactly(new TrappedRegion(3, 0, 0x1000), new TrappedRegion(3, 0x2000, 0x1000));
        assertThat(domain().ioPorts()).singleElement().satisfies(p -> {
            assertThat(p.guestPort()).isEqualTo("0xc000");
            assertThat(p.machinePort()).isEqualTo("0x1020");
            assertThat(p.count()).isEqualTo(32);
        });
    }

    @Test
    void a_move_unmaps_the_old_place_and_maps_the_new_and_decode_off_unmaps_all() {
        PassthroughDevice d = rig.attach(rig.nic, Placement.NONE);
        placeAll(d);
        d.configWrite(PCI_BASE_ADDRESS_0, 4, 0xd000_0000);
        assertThat(d.mappedRuns(0)).extracting(MmioRange::guestAddress).containsExactly(0xd000_0000L);
        assertThat(domain().p2m()).extracting(HypervisorState.P2m::gfn).doesNotContain("0xc0000");
        d.configWrite(PCI_COMMAND, 2, PCI_COMMAND_IO);
        assertThat(domain().p2m()).isEmpty();
        assertThat(domain().ioPorts()).hasSize(1);
        d.configWrite(PCI_COMMAND, 2, 0);
        assertThat(domain().ioPorts()).isEmpty();
    }

    @Test
    void the_rom_is_mapped_only_while_enabled_and_memory_decode_is_on() {
        PassthroughDevice d = rig.attach(rig.nic, Placement.NONE);
        placeAll(d);
        d.configWrite(PCI_ROM_ADDRESS, 4, (int) ROM);
        assertThat(d.mappedRuns(BarMappings.ROM)).isEmpty();
        d.configWrite(PCI_ROM_ADDRESS, 4, (int) ROM | PCI_ROM_ADDRESS_ENABLE);
        assertThat(d.mappedRuns(BarMappings.ROM)).containsExactly(
                new MmioRange(ROM >>> 12, 0xc7800000L >>> 12, 2, PageSize.SIZE_2M));
        d.configWrite(PCI_COMMAND, 2, PCI_COMMAND_IO);
        assertThat(d.mappedRuns(BarMappings.ROM)).isEmpty();
    }

    @Test
    void msix_entries_are_emulated_and_bound_only_while_unmasked_and_enabled() {
        PassthroughDevice d = rig.attach(rig.nic, Placement.NONE);
        placeAll(d);
        d.mmioWrite(3, 0x10, 8, 0xfee0_1000L);
        d.mmioWrite(3, 0x18, 4, 0x4051);
        d.mmioWrite(3, 0x1c, 4, 0);
        assertThat(d.mmioRead(3, 0x18, 4)).isEqualTo(0x4051);
        assertThat(d.mmioRead(3, 0x1c, 4)).as("unmasked").isZero();
        assertThat(d.mmioRead(3, 0x0c, 4)).as("entry 0 starts masked").isEqualTo(1);
        assertThat(rig.nic.memory().read(3, 0x18, 4)).as("the host's table is never written").isZero();
        assertThat(domain().msi()).as("MSI-X is not enabled yet").isEmpty();

        d.configWrite(MSIX_CAP + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
        assertThat(domain().msi()).singleElement().satisfies(m -> {
            assertThat(m.address()).isEqualTo("0xfee01000");
            assertThat(m.vector()).isEqualTo(0x51);
        });
        assertThat(domain().intx()).as("INTx is off while MSI-X is on").isEmpty();
        long binds = rig.hv.operationCounts().get("bind_msi");
        d.configWrite(PCI_BASE_ADDRESS_0, 4, 0xd000_0000);
        assertThat(rig.hv.operationCounts().get("bind_msi")).as("a BAR move leaves the routes alone").isEqualTo(binds);

        d.mmioWrite(3, 0x18, 4, 0x4052);
        assertThat(domain().msi()).singleElement().satisfies(m -> assertThat(m.vector()).isEqualTo(0x52));
        d.configWrite(MSIX_CAP + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
        assertThat(domain().msi()).as("function mask").isEmpty();
        d.configWrite(MSIX_CAP + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
        d.mmioWrite(3, 0x1c, 4, PCI_MSIX_ENTRY_CTRL_MASKBIT);
        assertThat(domain().msi()).as("entry mask").isEmpty();
        assertThat(domain().pirqs()).as("the masked entry's pirq is given back").hasSize(1);
        d.configWrite(MSIX_CAP + PCI_MSIX_FLAGS, 2, 0);
        assertThat(domain().intx()).as("INTx is back").hasSize(1);
    }

    @Test
    void registers_that_share_the_tables_page_reach_the_host_and_the_pba_reads_the_hosts() {
        PassthroughDevice d = rig.attach(rig.nic, Placement.NONE);
        d.mmioWrite(3, 0x800, 4, 0x1234_5678);
        assertThat(rig.nic.memory().read(3, 0x800, 4)).isEqualTo(0x1234_5678L);
        assertThat(d.mmioRead(3, 0x800, 4)).isEqualTo(0x1234_5678L);
        rig.nic.memory().write(3, 0x2000, 8, 0b101);
        assertThat(d.mmioRead(3, 0x2000, 8)).isEqualTo(0b101);
        d.mmioWrite(3, 0x2000, 8, 0);
        assertThat(rig.nic.memory().read(3, 0x2000, 8)).as("the PBA is read-only").isEqualTo(0b101);
    }

    @Test
    void msi_binds_on_enable_rebinds_on_a_new_message_and_unbinds_when_masked() {
        PassthroughDevice d = rig.attach(rig.nic, Placement.NONE);
        d.configWrite(MSI_CAP + PCI_MSI_ADDRESS_LO, 4, 0xfee0_0000);
        d.configWrite(MSI_CAP + PCI_MSI_DATA_64, 2, 0x0061);
        d.configWrite(MSI_CAP + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE);
        assertThat(domain().msi()).singleElement().satisfies(m -> assertThat(m.vector()).isEqualTo(0x61));
        assertThat(domain().intx()).isEmpty();
        d.configWrite(MSI_CAP + PCI_MSI_DATA_64, 2, 0x0062);
        assertThat(domain().msi()).singleElement().satisfies(m -> assertThat(m.vector()).isEqualTo(0x62));
        d.configWrite(MSI_CAP + PCI_MSI_MASK_64, 4, 1);
        assertThat(domain().msi()).isEmpty();
        d.configWrite(MSI_CAP + PCI_MSI_MASK_64, 4, 0);
        d.configWrite(PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
        d.configWrite(MSI_CAP + PCI_MSI_FLAGS, 2, 0);
        assertThat(domain().msi()).isEmpty();
        assertThat(domain().intx()).as("INTx stays off: the guest disabled it").isEmpty();
        d.configWrite(PCI_COMMAND, 2, 0);
        assertThat(domain().intx()).hasSize(1);
    }

    @Test
    void a_bar_the_guest_places_over_its_ram_is_refused_without_failing_the_guest() {
        PassthroughDevice d = rig.attach(rig.nic, Placement.NONE);
        placeAll(d);
        d.configWrite(PCI_BASE_ADDRESS_0, 4, 0x1000_0000);
        assertThat(d.mappedRuns(0)).isEmpty();
        assertThat(d.mappedRuns(1)).isNotEmpty();
        d.configWrite(PCI_BASE_ADDRESS_0, 4, (int) BAR0);
        assertThat(d.mappedRuns(0)).hasSize(1);
    }

    @Test
    void detach_leaves_nothing_of_the_function_anywhere() {
        HypervisorState before = rig.hv.state();
        PassthroughDevice d = rig.attach(rig.nic, Placement.NONE);
        placeAll(d);
        d.configWrite(PCI_ROM_ADDRESS, 4, (int) ROM | PCI_ROM_ADDRESS_ENABLE);
        d.mmioWrite(3, 0x0, 8, 0xfee0_0000L);
        d.mmioWrite(3, 0xc, 4, 0);
        d.configWrite(MSIX_CAP + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
        assertThat(rig.hv.state().entries()).isGreaterThan(before.entries());
        DetachReport report = d.detach();
        assertThat(report.clean()).isTrue();
        assertThat(d.state()).isEqualTo(DeviceState.DETACHED);
        assertThat(rig.hv.state()).isEqualTo(before);
        d.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
        assertThat(rig.hv.state()).as("a detached function's writes reach no hypervisor").isEqualTo(before);
    }

    @Test
    void a_detach_whose_step_fails_goes_on_reports_it_and_can_be_finished_later() {
        HypervisorState before = rig.hv.state();
        PassthroughDevice d = rig.attach(rig.nic, Placement.NONE);
        placeAll(d);
        rig.faults.failCall(1);
        DetachReport report = d.detach();
        assertThat(report.state()).isEqualTo(DeviceState.NEEDS_CLEANUP);
        assertThat(report.failures()).hasSize(2);
        assertThat(report.failures().getFirst()).contains("injected fault");
        assertThat(report.failures().get(1)).endsWith("its mappings or interrupts could not all be taken down");
        assertThat(rig.hv.state().assigned()).as("still assigned: a mapping is left").isNotEmpty();
        DetachReport again = d.detach();
        assertThat(again.clean()).isTrue();
        assertThat(rig.hv.state()).isEqualTo(before);
    }

    @Test
    void an_unassignable_function_or_a_bad_placement_is_refused_before_any_call() {
        long calls = rig.hv.calls();
        assertThatThrownBy(() -> PassthroughDevice.attach(rig.hv, new AttachRequest(DeviceRig.DOMAIN, DeviceRig.GUEST_SLOT,
                rig.nic, ConfigOptions.DEFAULT, Placement.NONE), new Assignability.Verdict(false, "bound to host driver igb")))
                .isInstanceOf(InputError.class)
                .hasMessage("0000:01:00.0 cannot be given to a guest: bound to host driver igb");
        assertThatThrownBy(() -> rig.attach(rig.nic, new Placement(Map.of(4, 0xc000_0000L), 0, false, true, false)))
                .isInstanceOf(InputError.class)
                .hasMessage("placement of 0000:01:00.0: it has no BAR 4 (it has [0, 1, 2, 3])");
        assertThat(rig.hv.calls()).isEqualTo(calls);
        assertThat(List.of(rig.hv.state().assigned())).containsExactly(Map.of());
    }
}
