package dev.passthru.hypervisor.sim;

import dev.passthru.hypervisor.RamRange;
import dev.passthru.hypervisor.HypervisorState;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passthru.host.BarKind;
import dev.passthru.host.BarLayout;
import dev.passthru.host.HostBar;
import dev.passthru.hypervisor.HypervisorException;
import dev.passthru.hypervisor.MmioRange;
import dev.passthru.hypervisor.PageSize;
import dev.passthru.pci.PciAddress;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SimulatedHypervisorTest {

    private static final PciAddress NIC = PciAddress.parse("0000:03:00.0");
    private static final PciAddress GPU = PciAddress.parse("0000:04:00.0");
    private static final PciAddress GUEST = PciAddress.parse("0000:00:05.0");
    /** The NIC's BAR 0: 64 KiB at 0xe0000000; its I/O BAR: 32 ports at 0x1000; ROM 64 KiB at 0xe1000000. */
    private static final long NIC_BAR = 0xe000_0000L;

    private final SimulatedHypervisor hv = new SimulatedHypervisor();

    @BeforeEach
    void machine() {
        hv.addMachineFunction(NIC, new BarLayout(List.of(
                new HostBar(0, BarKind.MEM32, false, 0x10000, NIC_BAR),
                new HostBar(2, BarKind.IO, false, 32, 0x1000)), 0x10000, 0xe100_0000L));
        hv.addMachineFunction(GPU, new BarLayout(List.of(new HostBar(0, BarKind.MEM64, true, 1L << 30, 0x80_0000_0000L)), 0));
        hv.createDomain(1, List.of(new RamRange(0, 0x8000_0000L)));
        hv.createDomain(2, List.of(new RamRange(0, 0x8000_0000L)));
        hv.assignDevice(1, NIC);
    }

    private static MmioRange pages(long guest, long machine, long count) {
        return new MmioRange(guest >>> 12, machine >>> 12, count, PageSize.SIZE_4K);
    }

    @Test
    void maps_and_unmaps_a_bar_of_an_assigned_function() {
        HypervisorState empty = hv.state();
        hv.mapMmio(1, pages(0xc000_0000L, NIC_BAR, 16));
        hv.mapIoPorts(1, 0xc000, 0x1000, 32);
        hv.mapMmio(1, pages(0xc100_0000L, 0xe100_0000L, 16));
        assertThat(hv.state().domains().getFirst().p2m()).hasSize(2);
        hv.unmapMmio(1, pages(0xc100_0000L, 0xe100_0000L, 16));
        hv.unmapIoPorts(1, 0xc000, 0x1000, 32);
        hv.unmapMmio(1, pages(0xc000_0000L, NIC_BAR, 16));
        assertThat(hv.state()).isEqualTo(empty);
    }

    @Test
    void refuses_machine_frames_outside_the_domains_bars() {
        assertThatThrownBy(() -> hv.mapMmio(1, pages(0xc000_0000L, NIC_BAR, 17)))
                .isInstanceOf(HypervisorException.class)
                .hasMessage("map_mmio(domain 1, gfn 0xc0000, mfn 0xe0000, 17 x 4K): machine frames not inside a BAR "
                        + "or ROM of a function assigned to domain 1");
        assertThatThrownBy(() -> hv.mapMmio(1, pages(0xc000_0000L, 0x80_0000_0000L, 1)))
                .as("the GPU's BAR, not assigned to domain 1").hasMessageContaining("not inside a BAR");
        assertThatThrownBy(() -> hv.mapMmio(2, pages(0xc000_0000L, NIC_BAR, 1)))
                .as("the NIC belongs to domain 1").hasMessageContaining("assigned to domain 2");
        assertThatThrownBy(() -> hv.mapIoPorts(1, 0xc000, 0x1010, 32)).hasMessageContaining("not inside an I/O BAR");
    }

    @Test
    void refuses_guest_frames_in_ram_or_over_another_mapping() {
        assertThatThrownBy(() -> hv.mapMmio(1, pages(0x7fff_f000L, NIC_BAR, 2)))
                .hasMessageEndingWith("guest frames inside the domain's RAM (0x0-0x7fffffff)");
        hv.mapMmio(1, pages(0xc000_0000L, NIC_BAR, 4));
        assertThatThrownBy(() -> hv.mapMmio(1, pages(0xbfff_f000L, NIC_BAR + 0x4000, 2)))
                .hasMessageEndingWith("guest frames overlap the mapping gfn 0xc0000, mfn 0xe0000, 4 x 4K");
        assertThatThrownBy(() -> hv.mapMmio(1, new MmioRange(0xc020_1000L >>> 12, NIC_BAR >>> 12, 1, PageSize.SIZE_2M)))
                .hasMessageEndingWith("frames not aligned to 2M pages");
        assertThatThrownBy(() -> hv.unmapMmio(1, pages(0xc000_0000L, NIC_BAR, 3)))
                .hasMessageContaining("no such mapping (the frames hold gfn 0xc0000, mfn 0xe0000, 4 x 4K)");
    }

    @Test
    void refuses_a_second_owner_and_a_deassign_with_state_left() {
        assertThatThrownBy(() -> hv.assignDevice(2, NIC)).hasMessageEndingWith("already assigned to domain 1");
        hv.mapMmio(1, pages(0xc000_0000L, NIC_BAR, 1));
        int pirq = hv.mapMsi(1, NIC, true, 0, 0xfee00000L, 0x40);
        assertThatThrownBy(() -> hv.deassignDevice(1, NIC))
                .hasMessageEndingWith("the function still has 1 MMIO mapping(s), 1 pirq(s)");
        hv.unmapMmio(1, pages(0xc000_0000L, NIC_BAR, 1));
        hv.unmapPirq(1, NIC, pirq);
        hv.deassignDevice(1, NIC);
        assertThat(hv.state().assigned()).isEmpty();
    }

    @Test
    void refuses_binding_twice_and_for_unassigned_functions() {
        int pirq = hv.mapMsi(1, NIC, true, 3, 0xfee00000L, 0x40);
        hv.bindMsi(1, pirq, 0xfee0_0000L, 0x4041);
        assertThatThrownBy(() -> hv.bindMsi(1, pirq, 0xfee0_0000L, 0x4042)).hasMessageEndingWith("the pirq is already bound");
        assertThatThrownBy(() -> hv.mapMsi(1, NIC, true, 3, 0xfee00000L, 0x40)).hasMessageEndingWith("the entry already has pirq " + pirq);
        assertThatThrownBy(() -> hv.unmapPirq(1, NIC, pirq)).hasMessageEndingWith("the pirq is still bound");
        assertThatThrownBy(() -> hv.mapMsi(1, GPU, true, 0, 0xfee00000L, 0x40)).hasMessageEndingWith("the function is not assigned to domain 1");
        assertThatThrownBy(() -> hv.mapGsi(2, NIC, 16)).hasMessageEndingWith("the function is not assigned to domain 2");
        int intx = hv.mapGsi(1, NIC, 16);
        hv.bindIntx(1, intx, GUEST, 1);
        assertThatThrownBy(() -> hv.bindIntx(1, intx, GUEST, 1))
                .hasMessageEndingWith("the guest pin is already bound to pirq " + intx);
        assertThatThrownBy(() -> hv.bindMsi(1, intx, 0xfee0_0000L, 0)).hasMessageEndingWith("no such MSI pirq in the domain");
        int other = hv.mapMsi(1, NIC, true, 4, 0xfee00000L, 0x40);
        assertThatThrownBy(() -> hv.bindMsi(1, other, 0xdead_0000L, 0))
                .hasMessageEndingWith("not an x86 MSI address (0xfee00000-0xfeefffff)");
    }

    @Test
    void writes_its_state_as_json() throws Exception {
        int pirq = hv.mapMsi(1, NIC, true, 0, 0xfee00000L, 0x40);
        hv.bindMsi(1, pirq, 0xfee0_1000L, 0x0031);
        hv.mapMmio(1, pages(0xc000_0000L, NIC_BAR, 16));
        String json = new ObjectMapper().writeValueAsString(hv.state());
        assertThat(json).contains("\"assigned\":{\"0000:03:00.0\":1}")
                .contains("{\"gfn\":\"0xc0000\",\"mfn\":\"0xe0000\",\"pages\":16,\"pageSize\":\"4K\",\"function\":\"0000:03:00.0\"}")
                .contains("{\"pirq\":16,\"address\":\"0xfee01000\",\"data\":\"0x31\",\"vector\":49}");
    }
}
