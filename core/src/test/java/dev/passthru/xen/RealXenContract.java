package dev.passthru.xen;

import dev.passthru.hypervisor.Hypervisor;
import dev.passthru.hypervisor.HypervisorContract;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.RdmPolicy;

import java.util.List;

/**
 * Run in dom0 by XenGuestTest: the hypervisor port's contract on real Xen. Each case gets edu
 * assigned to domain 1 through real hypercalls, runs, and gives it back; what Xen accepted is
 * kept in a ledger ({@link FakeXenControl} in front of the real calls) so "leaves nothing" is
 * checked against the calls Xen took. The cases left out need what the emulated machine's one
 * edu function does not have or would disturb guest a, which still runs: a second function
 * (one GSI shared; a_function_has_one_owner's GPU is only named, never assigned), an I/O BAR
 * (edu has none: the contract's ports at 0x1000 would be someone else's), MSI-X (edu has MSI
 * only), and an injected interrupt (it would reach the guest's own device at the contract's
 * guest slot).
 */
public final class RealXenContract extends HypervisorContract {

    /** Printed, one per line, with "PT-CONTRACT pass " or "PT-CONTRACT fail " before it; EduOnXen expects these. */
    static final List<String> APPLICABLE = List.of("what_is_mapped_and_unmapped_as_made_leaves_nothing",
            "an_unmap_not_as_made_is_refused_and_changes_nothing", "a_function_has_one_owner",
            "only_its_owner_gives_a_function_back_and_one_given_back_and_assigned_again_is_as_before",
            "a_function_that_holds_a_pirq_is_not_given_back", "a_function_maps_its_gsi_once_and_gives_its_pirq_back_once",
            "a_pirq_is_given_back_only_by_a_function_that_holds_it", "an_msi_vector_has_one_pirq_until_it_is_given_back",
            "an_ordinary_x86_message_leaves_its_masking_to_the_guest",
            "a_gsi_pirq_is_bound_to_one_guest_pin_at_a_time_and_unbound_as_bound",
            "a_bound_pirq_is_not_bound_twice_nor_unmapped");

    private final FakeXenControl ledger;
    private final XenHypervisor hypervisor;
    private final PciAddress function;
    private final long bar;
    private final int gsi;

    private RealXenContract(XenControl xen, PciAddress function, long bar, int gsi) {
        this.ledger = new FakeXenControl(xen);
        this.hypervisor = new XenHypervisor(ledger, 4096);
        this.function = function;
        this.bar = bar;
        this.gsi = gsi;
        hypervisor.describe(function, new XenHypervisor.Facts(RdmPolicy.RELAXED, 0));
        hypervisor.assignDevice(1, function);
    }

    @Override
    protected PciAddress nic() {
        return function;
    }

    @Override
    protected long nicBar() {
        return bar;
    }

    @Override
    protected int gsi() {
        return gsi;
    }

    @Override
    protected Hypervisor hypervisor() {
        return hypervisor;
    }

    @Override
    protected Object held() {
        return ledger.held();
    }

    /** Arguments: the function (assignable, domain 1 running), its BAR 0 address, its GSI. */
    public static void main(String[] args) {
        PciAddress function = PciAddress.parse(args[0]);
        long bar = Long.decode(args[1]);
        int gsi = Integer.parseInt(args[2]);
        try (ForeignXenControl xen = new ForeignXenControl()) {
            Dom0Cases.run("PT-CONTRACT", HypervisorContract.class, APPLICABLE, test -> {
                RealXenContract contract = new RealXenContract(xen, function, bar, gsi);
                test.invoke(contract);
                contract.hypervisor.deassignDevice(1, function);
            });
        }
    }
}
