package dev.passthru.xen;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passthru.hypervisor.MmioRange;
import dev.passthru.hypervisor.PageSize;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.RdmPolicy;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link XenHypervisor#resume}: what one instance made in Xen, kept as JSON, taken over by a new
 * instance over the same Xen, which asks Xen only for what it does not hold already.
 */
class XenResumeTest {

    private static final PciAddress NIC = PciAddress.parse("0000:03:00.0");
    private static final PciAddress GUEST = PciAddress.parse("0000:00:05.0");
    private static final long TABLE_BAR = 0xe000_0000L;
    private static final MmioRange BAR = new MmioRange(0xc0000, TABLE_BAR >>> 12, 16, PageSize.SIZE_4K);

    private final FakeXenControl xen = new FakeXenControl();
    private final XenHypervisor first = new XenHypervisor(xen, 64);
    private final XenHypervisor second = new XenHypervisor(xen, 64);
    private int gsiPirq;
    private int msiPirq;

    @BeforeEach
    void made() throws Exception {
        first.describe(NIC, new XenHypervisor.Facts(RdmPolicy.STRICT, TABLE_BAR));
        first.assignDevice(1, NIC);
        first.mapMmio(1, BAR);
        gsiPirq = first.mapGsi(1, NIC, 16);
        first.bindIntx(1, gsiPirq, GUEST, 1);
        msiPirq = first.mapMsi(1, NIC, true, 0, 0xfee0_0000L, 0x4041);
        first.bindMsi(1, msiPirq, 0xfee0_0000L, 0x4041);
        ObjectMapper json = new ObjectMapper();
        XenHypervisor.Held kept = json.readValue(json.writeValueAsBytes(first.held(1)), XenHypervisor.Held.class);
        assertThat(kept).isEqualTo(first.held(1));
        second.describe(NIC, new XenHypervisor.Facts(RdmPolicy.STRICT, TABLE_BAR));
        second.resume(1, kept);
    }

    private void askAgain(int data) {
        second.assignDevice(1, NIC);
        second.mapMmio(1, BAR);
        assertThat(second.mapGsi(1, NIC, 16)).isEqualTo(gsiPirq);
        second.bindIntx(1, gsiPirq, GUEST, 1);
        assertThat(second.mapMsi(1, NIC, true, 0, 0xfee0_0000L, data)).isEqualTo(msiPirq);
        second.bindMsi(1, msiPirq, 0xfee0_0000L, data);
    }

    @Test
    void the_same_calls_again_make_no_hypercall_and_the_entries_work_as_before() {
        String held = xen.held();
        int calls = xen.calls.size();
        askAgain(0x4041);
        XenHypervisor.Resumed resumed = second.finishResume(1);
        assertThat(xen.calls.subList(calls, xen.calls.size())).isEmpty();
        assertThat(xen.held()).isEqualTo(held);
        assertThat(resumed).isEqualTo(new XenHypervisor.Resumed(6, 0, 0, java.util.List.of()));
        second.unbindMsi(1, msiPirq);
        second.unmapPirq(1, NIC, msiPirq);
        second.unbindIntx(1, gsiPirq, GUEST, 1);
        second.unmapPirq(1, NIC, gsiPirq);
        second.unmapMmio(1, BAR);
        second.deassignDevice(1, NIC);
        assertThat(xen.held()).isEqualTo("assigned={} p2m={} permissions=[] pirqs={} bindings=[]");
    }

    @Test
    void a_message_the_guest_changed_replaces_the_kept_binding() {
        int calls = xen.calls.size();
        askAgain(0x4042);
        XenHypervisor.Resumed resumed = second.finishResume(1);
        assertThat(xen.calls.subList(calls, xen.calls.size())).as("the old binding goes, the new one comes")
                .hasSize(2).first().asString().startsWith("xc_domain_unbind_msi_irq(1,");
        assertThat(resumed.adopted()).isEqualTo(5);
        assertThat(resumed.removed()).isEqualTo(1);
        assertThat(resumed.remade()).isEqualTo(1);
    }

    @Test
    void what_nobody_asks_for_again_is_removed_bindings_first() {
        second.assignDevice(1, NIC);
        second.mapMmio(1, BAR);
        XenHypervisor.Resumed resumed = second.finishResume(1);
        assertThat(resumed.removed()).as("both bindings and both pirqs").isEqualTo(4);
        assertThat(resumed.failures()).isEmpty();
        assertThat(xen.pirqs).isEmpty();
        assertThat(xen.bindings).isEmpty();
        assertThat(xen.assigned).isNotEmpty();
    }
}
