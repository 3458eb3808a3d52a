package dev.passthru.xen;

import dev.passthru.hypervisor.Hypervisor;
import dev.passthru.hypervisor.HypervisorContract;
import dev.passthru.hypervisor.HypervisorException;
import dev.passthru.hypervisor.MmioRange;
import dev.passthru.hypervisor.PageSize;
import dev.passthru.spec.RdmPolicy;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The port's contract on {@link XenHypervisor} over a stand-in libxenctrl, and the Xen-specific calls it makes. */
class XenHypervisorTest extends HypervisorContract {

    private final FakeXenControl xen = new FakeXenControl();
    private final XenHypervisor hv = new XenHypervisor(xen, 64);

    @BeforeEach
    void machine() {
        hv.describe(nic(), new XenHypervisor.Facts(RdmPolicy.STRICT, nicBar()));
        hv.assignDevice(1, nic());
    }

    @Override
    protected Hypervisor hypervisor() {
        return hv;
    }

    @Override
    protected Object held() {
        return xen.held();
    }

    @Test
    void maps_a_large_range_in_calls_of_at_most_the_frames_per_call_with_permission_first() {
        xen.calls.clear();
        MmioRange oneGig = new MmioRange(0x100000, 0x800000, 1, PageSize.SIZE_1G);
        hv.mapMmio(1, oneGig);
        assertThat(xen.calls.getFirst()).isEqualTo("xc_domain_iomem_permission(1,0x800000,262144,allow)");
        assertThat(xen.calls).filteredOn(c -> c.startsWith("xc_domain_memory_mapping")).hasSize(4096)
                .allMatch(c -> c.endsWith(",64,add)"));
        assertThat(hv.mappingCalls()).isEqualTo(4096);
        hv.unmapMmio(1, oneGig);
        assertThat(xen.calls.getLast()).isEqualTo("xc_domain_iomem_permission(1,0x800000,262144,deny)");
        assertThat(xen.p2m).isEmpty();
    }

    @Test
    void a_mapping_that_fails_part_way_removes_what_it_made_and_the_permission() {
        String before = xen.held();
        xen.fail("xc_domain_memory_mapping", 3);
        assertThatThrownBy(() -> hv.mapMmio(1, new MmioRange(0xc0000, nicBar() >>> 12, 256, PageSize.SIZE_4K)))
                .isInstanceOf(HypervisorException.class)
                .hasMessageStartingWith("map_mmio(domain 1, ").hasMessageEndingWith("EBUSY (errno 16)");
        assertThat(xen.held()).isEqualTo(before);
    }

    @Test
    void a_guest_that_names_its_pirq_in_the_message_gets_that_pirq_and_leaves_masking_to_xen() {
        // Linux's xen_msi_compose_msg for pirq 0x137: vector 0, ExtINT, dest ID bits 0-7 in the
        // low address, bits 8-31 in the upper address.
        long address = 0x100L << 32 | 0xfee3_7000L;
        int data = 0x0700;
        assertThat(hv.leavesMaskingToHypervisor(address, data)).isTrue();
        assertThat(hv.leavesMaskingToHypervisor(0xfee0_1000L, 0x4031)).isFalse();
        int pirq = hv.mapMsi(1, nic(), true, 0, address, data);
        assertThat(pirq).isEqualTo(0x137);
        assertThat(xen.calls.getLast()).isEqualTo("xc_physdev_map_pirq_msi(1,pirq 311,03:00.0,entry 0,table 0xe0000000)");
        hv.bindMsi(1, pirq, address, data);
        assertThat(xen.calls.getLast()).startsWith("xc_domain_update_msi_irq(1,vector 0x0,pirq 311,");
        assertThatThrownBy(() -> hv.mapMsi(1, nic(), true, 1, address, data))
                .hasMessageEndingWith("the guest asked for pirq 311, which is already mapped");
    }

    @Test
    void assigns_with_the_specs_rdm_policy_and_msix_entries_through_the_table() {
        assertThat(xen.calls.getFirst()).isEqualTo("xc_assign_device(1,0000:03:00.0,strict)");
        int pirq = hv.mapMsi(1, nic(), true, 3, 0xfee00000L, 0x40);
        assertThat(xen.calls.getLast()).isEqualTo("xc_physdev_map_pirq_msi(1,pirq -1,03:00.0,entry 3,table 0xe0000000)");
        hv.bindMsi(1, pirq, 0xfee0_1000L, 0x4031);
        assertThat(xen.calls.getLast()).isEqualTo("xc_domain_update_msi_irq(1,vector 0x31,pirq " + pirq + ",flags 0x10001)");
        hv.inject(1, pirq);
        assertThat(xen.calls.getLast()).isEqualTo("xendevicemodel_inject_msi(1,0xfee01000,0x4031)");
        int gsi = hv.mapGsi(1, nic(), 16);
        assertThat(xen.permissions).contains("1 irq 16");
        hv.bindIntx(1, gsi, GUEST, 2);
        assertThat(xen.calls.getLast()).isEqualTo("xc_domain_bind_pt_pci_irq(1,16,0:5 INTB)");
        hv.inject(1, gsi);
        assertThat(xen.calls.subList(xen.calls.size() - 2, xen.calls.size())).containsExactly(
                "xendevicemodel_set_pci_intx_level(1,0:5 INTB,1)", "xendevicemodel_set_pci_intx_level(1,0:5 INTB,0)");
        assertThatThrownBy(() -> hv.deassignDevice(1, nic())).hasMessageEndingWith("the function still holds 2 pirq(s)");
    }
}
