package dev.passthru.hypervisor;

import dev.passthru.pci.PciAddress;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every backend of the hypervisor port promises, whatever it runs on: what is mapped can
 * be unmapped exactly as made and leaves nothing, a call that is refused changes nothing, a
 * function has one owner, pirqs are shared per GSI and not unmapped while bound. A backend's
 * test extends this with a machine that has {@link #nic()} (BAR 0: at least 64 KiB at
 * {@link #nicBar()}, 32 I/O ports at 0x1000, INTx on {@link #gsi()}) assigned to domain 1,
 * {@link #GPU} unassigned, and domain 2. A real machine may name its own function, BAR and GSI.
 */
public abstract class HypervisorContract {

    private static final PciAddress NIC = PciAddress.parse("0000:03:00.0");
    protected static final PciAddress GPU = PciAddress.parse("0000:04:00.0");
    protected static final PciAddress GUEST = PciAddress.parse("0000:00:05.0");
    private static final long NIC_BAR = 0xe000_0000L;

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

    @Test
    void what_is_mapped_and_unmapped_as_made_leaves_nothing() {
        Object before = held();
        Hypervisor hv = hypervisor();
        hv.mapMmio(1, pages(0xc000_0000L, nicBar(), gsi()));
        hv.mapIoPorts(1, 0xc000, 0x1000, 32);
        assertThat(held()).isNotEqualTo(before);
        hv.unmapIoPorts(1, 0xc000, 0x1000, 32);
        hv.unmapMmio(1, pages(0xc000_0000L, nicBar(), gsi()));
        assertThat(held()).isEqualTo(before);
    }

    @Test
    void an_unmap_not_as_made_is_refused_and_changes_nothing() {
        Hypervisor hv = hypervisor();
        hv.mapMmio(1, pages(0xc000_0000L, nicBar(), 4));
        Object mapped = held();
        assertThatThrownBy(() -> hv.unmapMmio(1, pages(0xc000_0000L, nicBar(), 3))).isInstanceOf(HypervisorException.class)
                .hasMessageStartingWith("unmap_mmio(");
        assertThatThrownBy(() -> hv.mapMmio(1, pages(0xbfff_f000L, nicBar() + 0x4000, 2))).isInstanceOf(HypervisorException.class)
                .hasMessageContaining("overlap");
        assertThat(held()).isEqualTo(mapped);
        hv.unmapMmio(1, pages(0xc000_0000L, nicBar(), 4));
    }

    @Test
    void a_function_has_one_owner() {
        assertThatThrownBy(() -> hypervisor().assignDevice(2, nic())).isInstanceOf(HypervisorException.class)
                .hasMessageEndingWith("already assigned to domain 1");
        assertThatThrownBy(() -> hypervisor().mapGsi(2, nic(), gsi())).hasMessageEndingWith("the function is not assigned to domain 2");
        assertThatThrownBy(() -> hypervisor().mapMsi(1, GPU, false, 0, 0xfee00000L, 0x40)).hasMessageEndingWith("the function is not assigned to domain 1");
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
        PciAddress second = PciAddress.parse("0000:00:06.0");
        hv.bindIntx(1, a, GUEST, 1);
        hv.bindIntx(1, a, second, 1);
        assertThatThrownBy(() -> hv.bindIntx(1, a, second, 1)).hasMessageContaining("already bound");
        hv.unbindIntx(1, a, GUEST, 1);
        hv.unbindIntx(1, a, second, 1);
        hv.unmapPirq(1, nic(), a);
        assertThat(held()).isNotEqualTo(assigned);
        hv.unmapPirq(1, GPU, a);
        assertThat(held()).isEqualTo(assigned);
        hv.deassignDevice(1, GPU);
        assertThat(held()).isEqualTo(before);
    }

    @Test
    void a_bound_pirq_is_not_bound_twice_nor_unmapped() {
        Object before = held();
        Hypervisor hv = hypervisor();
        int pirq = hv.mapMsi(1, nic(), false, 0, 0xfee00000L, 0x40);
        assertThatThrownBy(() -> hv.bindMsi(1, pirq, 0xdead_0000L, 0))
                .hasMessageEndingWith("not an x86 MSI address (0xfee00000-0xfeefffff)");
        hv.bindMsi(1, pirq, 0xfee0_0000L, 0x4041);
        assertThatThrownBy(() -> hv.bindMsi(1, pirq, 0xfee0_0000L, 0x4042)).hasMessageEndingWith("the pirq is already bound");
        assertThatThrownBy(() -> hv.unmapPirq(1, nic(), pirq)).hasMessageEndingWith("the pirq is still bound");
        int intx = hv.mapGsi(1, nic(), gsi());
        hv.bindIntx(1, intx, GUEST, 1);
        assertThatThrownBy(() -> hv.bindMsi(1, intx, 0xfee0_0000L, 0)).hasMessageEndingWith("no such MSI pirq in the domain");
        hv.unbindIntx(1, intx, GUEST, 1);
        hv.unmapPirq(1, nic(), intx);
        hv.unbindMsi(1, pirq);
        hv.unmapPirq(1, nic(), pirq);
        assertThat(held()).isEqualTo(before);
    }
}
