package dev.passthru.xen;

import dev.passthru.hypervisor.Hypervisor;
import dev.passthru.hypervisor.HypervisorContract;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.RdmPolicy;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.List;

/**
 * Run in dom0 by XenGuestTest: the hypervisor port's contract on real Xen. Each case gets edu
 * assigned to domain 1 through real hypercalls, runs, and gives it back; what Xen accepted is
 * kept in a ledger ({@link FakeXenControl} in front of the real calls) so "leaves nothing" is
 * checked against the calls Xen took. The case that needs a second function on one GSI does not
 * apply: the emulated machine has one function to give.
 */
public final class RealXenContract extends HypervisorContract {

    private static final List<String> APPLICABLE = List.of("what_is_mapped_and_unmapped_as_made_leaves_nothing",
            "an_unmap_not_as_made_is_refused_and_changes_nothing", "a_function_has_one_owner",
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
    public static void main(String[] args) throws ReflectiveOperationException {
        PciAddress function = PciAddress.parse(args[0]);
        long bar = Long.decode(args[1]);
        int gsi = Integer.parseInt(args[2]);
        try (ForeignXenControl xen = new ForeignXenControl()) {
            for (String name : APPLICABLE) {
                Method test = HypervisorContract.class.getDeclaredMethod(name);
                test.setAccessible(true);
                try {
                    RealXenContract contract = new RealXenContract(xen, function, bar, gsi);
                    test.invoke(contract);
                    contract.hypervisor.deassignDevice(1, function);
                    System.out.println("PT-CONTRACT pass " + name);
                } catch (InvocationTargetException e) {
                    System.out.println("PT-CONTRACT fail " + name + ": " + e.getCause());
                } catch (RuntimeException e) {
                    System.out.println("PT-CONTRACT fail " + name + ": " + e);
                }
            }
        }
    }
}
