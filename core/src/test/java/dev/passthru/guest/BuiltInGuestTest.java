package dev.passthru.guest;

import dev.passthru.bus.SizedBar;
import dev.passthru.bus.EnumeratedFunction;
import dev.passthru.bus.GuestBus;
import dev.passthru.config.ConfigOptions;
import dev.passthru.device.DeviceRig;
import dev.passthru.host.BarKind;
import dev.passthru.host.HostFunction;
import dev.passthru.host.profile.ProfileSource;
import dev.passthru.hypervisor.HypervisorState;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;

class BuiltInGuestTest {

    private final DeviceRig rig = new DeviceRig();
    private final GuestBus bus = new GuestBus(rig.hv, DeviceRig.DOMAIN, 6, 31);
    private final BuiltInGuest guest = new BuiltInGuest(new SimulatedPlatform(bus, rig.hv, DeviceRig.DOMAIN), 6L << 30);

    private void plug(HostFunction f) {
        bus.plug(0, List.of(new GuestBus.Plug(0, f, ConfigOptions.DEFAULT, DeviceRig.YES)));
    }

    private HypervisorState.Domain domain() {
        return rig.hv.state().domains().getFirst();
    }

    @Test
    void sizes_places_and_programs_every_bar_naturally_aligned_in_its_window() {
        plug(rig.nic);
        plug(rig.sixBars);
        List<EnumeratedFunction> found = guest.boot();
        assertThat(found).extracting(EnumeratedFunction::device).containsExactly(6, 7);
        EnumeratedFunction nic = found.getFirst();
        assertThat(nic.bars()).extracting(SizedBar::index, SizedBar::size).containsExactly(
                org.assertj.core.groups.Tuple.tuple(0, 128L << 10), org.assertj.core.groups.Tuple.tuple(1, 4L << 20),
                org.assertj.core.groups.Tuple.tuple(2, 32L), org.assertj.core.groups.Tuple.tuple(3, 16L << 10),
                org.assertj.core.groups.Tuple.tuple(SizedBar.ROM, 4L << 20));
        for (EnumeratedFunction f : found) {
            for (SizedBar bar : f.bars()) {
                assertThat(bar.address() % bar.size()).as("%s naturally aligned", bar).isZero();
                if (bar.kind() == BarKind.IO) {
                    assertThat(bar.address()).isBetween(0xc000L, 0xffffL);
                } else {
                    assertThat(bar.address()).isBetween(BarAllocator.HOLE_START, BarAllocator.HOLE_END - bar.size());
                }
            }
        }
        assertThat(bus.configRead(6, 0, PCI_COMMAND, 2) & 0x7)
                .isEqualTo(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
        assertThat(bus.configRead(6, 0, PCI_BASE_ADDRESS_0, 4)).isEqualTo((int) nic.bars().getFirst().address());
        assertThat(domain().p2m()).isNotEmpty();
        assertThat(domain().ioPorts()).hasSize(2);
    }

    @Test
    void a_driver_turns_on_msix_through_the_trapped_table_and_msi_where_there_is_no_msix() {
        plug(rig.nic);
        EnumeratedFunction nic = guest.boot().getFirst();
        assertThat(nic.capabilities()).contains("[50] MSI", "[70] MSI-X");
        assertThat(nic.interrupts()).isEqualTo("MSI-X, 4 of 10 vectors (0x30-0x33)");
        assertThat(domain().msi()).extracting(HypervisorState.Msi::vector).containsExactly(0x30, 0x31, 0x32, 0x33);
        assertThat(domain().intx()).as("INTx is off while MSI-X is on").isEmpty();
        assertThat(nic.barAccess()).isEqualTo("BAR 0 +0x0: read 0x00000000, wrote it back, read 0x00000000");
    }

    @Test
    void sixty_four_bit_prefetchable_bars_go_above_ram_and_a_hot_plugged_slot_is_enumerated_when_it_arrives() {
        HostFunction h100 = new ProfileSource(Path.of("../examples/profiles/workstation")).scan().find(
                dev.passthru.pci.PciAddress.parse("62:00.0")).orElseThrow();
        rig.hv.addMachineFunction(h100.address(), h100.bars(), h100.memory());
        plug(rig.nic);
        guest.boot();
        bus.plug(9, List.of(new GuestBus.Plug(0, h100, ConfigOptions.DEFAULT, DeviceRig.YES)));
        EnumeratedFunction arrived = guest.arrived(9).getFirst();
        SizedBar huge = arrived.bars().stream().filter(b -> b.index() == 2).findFirst().orElseThrow();
        assertThat(huge.size()).isEqualTo(128L << 30);
        assertThat(huge.address()).as("above RAM, which ends at 6 GiB").isGreaterThanOrEqualTo(6L << 30);
        assertThat(huge.address() % huge.size()).isZero();
        assertThat(domain().p2m()).anySatisfy(m -> {
            assertThat(m.gfn()).isEqualTo("0x" + Long.toHexString(huge.address() >>> 12));
            assertThat(m.pages()).isEqualTo(128);
            assertThat(m.pageSize()).isEqualTo("1G");
        });
    }
}
