package dev.passthru.hypervisor;

import dev.passthru.pci.PciAddress;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every backend of the hypervisor port promises, whatever it runs on, method by method:
 * what is mapped, assigned or bound can be taken down exactly as made and then leaves nothing;
 * a call that is refused throws {@link HypervisorException} and changes nothing; a function
 * has one owner and is not given back while it holds a pirq; pirqs are one per GSI (shared by
 * the functions on it), one per MSI vector or MSI-X entry, and not unmapped while bound.
 *
 * <p>A backend's test extends this with a machine that has {@link #nic()} (BAR 0: at least 64
 * KiB at {@link #nicBar()}, 32 I/O ports at 0x1000, MSI and MSI-X, INTx on {@link #gsi()})
 * assigned to domain 1, {@link #GPU} unassigned, and domain 2. A real machine may name its own
 * function, BAR and GSI, and run only the cases its function can take.
 */
public abstract class HypervisorContract {

    private static final PciAddress NIC = PciAddress.parse("0000:03:00.0");
    protected static final PciAddress GPU = PciAddress.parse("0000:04:00.0");
    protected static final PciAddress GUEST = PciAddress.parse("0000:00:05.0");
    private static final PciAddress SECOND_GUEST = PciAddress.parse("0000:00:06.0");
    private static final long NIC_BAR = 0xe000_0000L;
    /** Where the contract maps BAR 0 in the guest: above the RAM of every test domain, below 4 GiB. */
    private static final long GUEST_BAR = 0xc000_0000L;
    /** 64 KiB: the part of BAR 0 every machine has. */
    private static final long BAR_PAGES = 16;
    private static final long MSI_ADDRESS = 0xfee0_0000L;

    /** The function assigned to domain 1. */
    protected PciAddress nic() {
        return NIC;
    }

    /** Where its BAR 0 is in machine memory. */
    protected long nicBar() {
        return NIC_BAR;
    }

    /** The GSI its INTx is wired to. */
    protected int gsi() {
        return 16;
    }

    /** The backend under test, set up as the class comment says. */
    protected abstract Hypervisor hypervisor();

    /** All the backend's hypervisor holds for the domains, comparable before and after. */
    protected abstract Object held();

    private static MmioRange pages(long guest, long machine, long count) {
        return new MmioRange(guest >>> 12, machine >>> 12, count, PageSize.SIZE_4K);
    }

    private MmioRange bar() {
        return pages(GUEST_BAR, nicBar(), BAR_PAGES);
    }

    /** The call is refused with a reason that says {@code why}, and what the hypervisor holds is as it was. */
    private void refused(ThrowingCallable call, String why) {
        Object before = held();
        assertThatThrownBy(call).isInstanceOf(HypervisorException.class).hasMessageContaining(why);
        assertThat(held()).as("a refused call changes nothing").isEqualTo(before);
    }

    @Test
    void what_is_mapped_and_unmapped_as_made_leaves_nothing() {
        Object before = held();
        Hypervisor hv = hypervisor();
        hv.mapMmio(1, bar());
        assertThat(held()).isNotEqualTo(before);
        hv.unmapMmio(1, bar());
        assertThat(held()).isEqualTo(before);
    }

    @Test
    void an_unmap_not_as_made_is_refused_and_changes_nothing() {
        Hypervisor hv = hypervisor();
        hv.mapMmio(1, pages(GUEST_BAR, nicBar(), 4));
        assertThatThrownBy(() -> hv.unmapMmio(1, pages(GUEST_BAR, nicBar(), 3))).isInstanceOf(HypervisorException.class)
                .hasMessageStartingWith("unmap_mmio(");
        refused(() -> hv.unmapMmio(1, pages(GUEST_BAR, nicBar(), 3)), "no such mapping");
        refused(() -> hv.unmapMmio(2, pages(GUEST_BAR, nicBar(), 4)), "no such");
        refused(() -> hv.mapMmio(1, pages(GUEST_BAR - 0x1000, nicBar() + 0x4000, 2)), "overlap");
        hv.unmapMmio(1, pages(GUEST_BAR, nicBar(), 4));
    }

    @Test
    void io_ports_mapped_and_unmapped_as_made_leave_nothing() {
        Object before = held();
        Hypervisor hv = hypervisor();
        hv.mapIoPorts(1, 0xc000, 0x1000, 32);
        assertThat(held()).isNotEqualTo(before);
        hv.unmapIoPorts(1, 0xc000, 0x1000, 32);
        assertThat(held()).isEqualTo(before);
    }

    @Test
    void io_ports_not_mapped_as_asked_are_refused_and_change_nothing() {
        Hypervisor hv = hypervisor();
        hv.mapIoPorts(1, 0xc000, 0x1000, 32);
        refused(() -> hv.mapIoPorts(1, 0xc000, 0x1000, 32), "overlap");
        refused(() -> hv.mapIoPorts(1, 0xc010, 0x1000, 16), "overlap");
        refused(() -> hv.unmapIoPorts(1, 0xc000, 0x1000, 16), "no such");
        refused(() -> hv.unmapIoPorts(1, 0xd000, 0x1000, 32), "no such");
        hv.unmapIoPorts(1, 0xc000, 0x1000, 32);
        refused(() -> hv.unmapIoPorts(1, 0xc000, 0x1000, 32), "no such");
    }

    @Test
    void a_function_has_one_owner() {
        assertThatThrownBy(() -> hypervisor().assignDevice(2, nic())).isInstanceOf(HypervisorException.class)
                .hasMessageEndingWith("already assigned to domain 1");
        refused(() -> hypervisor().assignDevice(1, nic()), "already assigned to domain 1");
        assertThatThrownBy(() -> hypervisor().mapGsi(2, nic(), gsi())).hasMessageEndingWith("the function is not assigned to domain 2");
        assertThatThrownBy(() -> hypervisor().mapMsi(1, GPU, false, 0, MSI_ADDRESS, 0x40)).hasMessageEndingWith("the function is not assigned to domain 1");
    }

    @Test
    void only_its_owner_gives_a_function_back_and_one_given_back_and_assigned_again_is_as_before() {
        Object assigned = held();
        Hypervisor hv = hypervisor();
        refused(() -> hv.deassignDevice(2, nic()), "the function is not assigned to domain 2");
        hv.deassignDevice(1, nic());
        assertThat(held()).isNotEqualTo(assigned);
        refused(() -> hv.deassignDevice(1, nic()), "the function is not assigned to domain 1");
        refused(() -> hv.mapGsi(1, nic(), gsi()), "the function is not assigned to domain 1");
        hv.assignDevice(1, nic());
        assertThat(held()).isEqualTo(assigned);
    }

    @Test
    void a_function_that_holds_a_pirq_is_not_given_back() {
        Hypervisor hv = hypervisor();
        int pirq = hv.mapGsi(1, nic(), gsi());
        refused(() -> hv.deassignDevice(1, nic()), "pirq");
        hv.unmapPirq(1, nic(), pirq);
    }

    @Test
    void a_function_maps_its_gsi_once_and_gives_its_pirq_back_once() {
        Object before = held();
        Hypervisor hv = hypervisor();
        int pirq = hv.mapGsi(1, nic(), gsi());
        assertThat(pirq).isPositive();
        refused(() -> hv.mapGsi(1, nic(), gsi()), "the function already holds pirq " + pirq);
        hv.unmapPirq(1, nic(), pirq);
        assertThat(held()).isEqualTo(before);
        refused(() -> hv.unmapPirq(1, nic(), pirq), "the function holds no such pirq");
    }

    @Test
    void functions_on_one_gsi_share_its_pirq_until_the_last_lets_go() {
        Object before = held();
        Hypervisor hv = hypervisor();
        hv.assignDevice(1, GPU);
        Object assigned = held();
        int a = hv.mapGsi(1, nic(), gsi());
        int b = hv.mapGsi(1, GPU, gsi());
        assertThat(b).isEqualTo(a);
        hv.bindIntx(1, a, GUEST, 1);
        hv.bindIntx(1, a, SECOND_GUEST, 1);
        assertThatThrownBy(() -> hv.bindIntx(1, a, SECOND_GUEST, 1)).hasMessageContaining("already bound");
        hv.unbindIntx(1, a, GUEST, 1);
        hv.unbindIntx(1, a, SECOND_GUEST, 1);
        hv.unmapPirq(1, nic(), a);
        assertThat(held()).isNotEqualTo(assigned);
        hv.unmapPirq(1, GPU, a);
        assertThat(held()).isEqualTo(assigned);
        hv.deassignDevice(1, GPU);
        assertThat(held()).isEqualTo(before);
    }

    @Test
    void a_pirq_is_given_back_only_by_a_function_that_holds_it() {
        Hypervisor hv = hypervisor();
        int pirq = hv.mapMsi(1, nic(), false, 0, MSI_ADDRESS, 0x40);
        refused(() -> hv.unmapPirq(1, GPU, pirq), "the function holds no such pirq");
        refused(() -> hv.unmapPirq(2, nic(), pirq), "the function holds no such pirq");
        refused(() -> hv.unmapPirq(1, nic(), pirq + 1), "the function holds no such pirq");
        hv.unmapPirq(1, nic(), pirq);
    }

    @Test
    void an_msi_vector_has_one_pirq_until_it_is_given_back() {
        Object before = held();
        Hypervisor hv = hypervisor();
        int pirq = hv.mapMsi(1, nic(), false, 0, MSI_ADDRESS, 0x40);
        assertThat(pirq).isPositive();
        refused(() -> hv.mapMsi(1, nic(), false, 0, MSI_ADDRESS, 0x40), "already has pirq " + pirq);
        hv.unmapPirq(1, nic(), pirq);
        assertThat(held()).isEqualTo(before);
        hv.unmapPirq(1, nic(), hv.mapMsi(1, nic(), false, 0, MSI_ADDRESS, 0x40));
        assertThat(held()).isEqualTo(before);
    }

    @Test
    void each_msix_entry_gets_a_pirq_of_its_own() {
        Object before = held();
        Hypervisor hv = hypervisor();
        int first = hv.mapMsi(1, nic(), true, 0, MSI_ADDRESS, 0x40);
        int second = hv.mapMsi(1, nic(), true, 1, MSI_ADDRESS, 0x41);
        assertThat(Set.of(first, second)).hasSize(2);
        refused(() -> hv.mapMsi(1, nic(), true, 1, MSI_ADDRESS, 0x41), "already has pirq " + second);
        hv.unmapPirq(1, nic(), first);
        hv.unmapPirq(1, nic(), second);
        assertThat(held()).isEqualTo(before);
    }

    @Test
    void an_ordinary_x86_message_leaves_its_masking_to_the_guest() {
        assertThat(hypervisor().leavesMaskingToHypervisor(0xfee0_1000L, 0x4031)).as("fixed delivery, vector 0x31, to APIC 1")
                .isFalse();
        assertThat(hypervisor().leavesMaskingToHypervisor(MSI_ADDRESS, 0x40)).isFalse();
    }

    @Test
    void a_gsi_pirq_is_bound_to_one_guest_pin_at_a_time_and_unbound_as_bound() {
        Object before = held();
        Hypervisor hv = hypervisor();
        int intx = hv.mapGsi(1, nic(), gsi());
        int msi = hv.mapMsi(1, nic(), false, 0, MSI_ADDRESS, 0x40);
        Object mapped = held();
        refused(() -> hv.bindIntx(1, msi, GUEST, 1), "no such GSI pirq in the domain");
        refused(() -> hv.bindIntx(1, intx, GUEST, 0), "no such pin");
        refused(() -> hv.bindIntx(1, intx, GUEST, 5), "no such pin");
        refused(() -> hv.bindIntx(2, intx, GUEST, 1), "no such");
        hv.bindIntx(1, intx, GUEST, 1);
        assertThat(held()).isNotEqualTo(mapped);
        refused(() -> hv.bindIntx(1, intx, GUEST, 1), "the guest pin is already bound to pirq " + intx);
        refused(() -> hv.unbindIntx(1, intx, GUEST, 2), "no such binding");
        refused(() -> hv.unbindIntx(1, intx, SECOND_GUEST, 1), "no such binding");
        hv.unbindIntx(1, intx, GUEST, 1);
        assertThat(held()).isEqualTo(mapped);
        refused(() -> hv.unbindIntx(1, intx, GUEST, 1), "no such binding");
        hv.unmapPirq(1, nic(), msi);
        hv.unmapPirq(1, nic(), intx);
        assertThat(held()).isEqualTo(before);
    }

    @Test
    void a_bound_pirq_is_not_bound_twice_nor_unmapped() {
        Object before = held();
        Hypervisor hv = hypervisor();
        int pirq = hv.mapMsi(1, nic(), false, 0, MSI_ADDRESS, 0x40);
        refused(() -> hv.bindMsi(1, pirq, 0xdead_0000L, 0), "not an x86 MSI address (0xfee00000-0xfeefffff)");
        refused(() -> hv.unbindMsi(1, pirq), "the pirq is not bound");
        hv.bindMsi(1, pirq, 0xfee0_0000L, 0x4041);
        refused(() -> hv.bindMsi(1, pirq, 0xfee0_0000L, 0x4042), "the pirq is already bound");
        refused(() -> hv.unmapPirq(1, nic(), pirq), "the pirq is still bound");
        int intx = hv.mapGsi(1, nic(), gsi());
        hv.bindIntx(1, intx, GUEST, 1);
        refused(() -> hv.bindMsi(1, intx, 0xfee0_0000L, 0), "no such MSI pirq in the domain");
        refused(() -> hv.unmapPirq(1, nic(), intx), "the pirq is still bound");
        hv.unbindIntx(1, intx, GUEST, 1);
        hv.unmapPirq(1, nic(), intx);
        hv.unbindMsi(1, pirq);
        refused(() -> hv.unbindMsi(1, pirq), "the pirq is not bound");
        hv.unmapPirq(1, nic(), pirq);
        assertThat(held()).isEqualTo(before);
        refused(() -> hv.bindMsi(1, pirq, 0xfee0_0000L, 0x4041), "no such");
    }

    @Test
    void only_a_bound_pirq_is_injected_and_injecting_it_changes_nothing_held() {
        Hypervisor hv = hypervisor();
        int msi = hv.mapMsi(1, nic(), false, 0, MSI_ADDRESS, 0x40);
        int intx = hv.mapGsi(1, nic(), gsi());
        refused(() -> hv.inject(1, msi), "the pirq is not bound");
        refused(() -> hv.inject(1, intx), "the pirq is not bound");
        hv.bindMsi(1, msi, 0xfee0_1000L, 0x4031);
        hv.bindIntx(1, intx, GUEST, 1);
        Object bound = held();
        hv.inject(1, msi);
        hv.inject(1, intx);
        assertThat(held()).isEqualTo(bound);
        hv.unbindIntx(1, intx, GUEST, 1);
        hv.unbindMsi(1, msi);
        refused(() -> hv.inject(1, msi), "the pirq is not bound");
        hv.unmapPirq(1, nic(), intx);
        hv.unmapPirq(1, nic(), msi);
    }
}
