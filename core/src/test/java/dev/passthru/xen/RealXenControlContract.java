package dev.passthru.xen;

import dev.passthru.pci.PciAddress;

import java.util.List;

/**
 * Run in dom0 by XenGuestTest, right after {@link RealXenContract} and with the same arguments:
 * the contract of {@link XenControl} on {@link ForeignXenControl}, that is on Xen itself, so
 * that what the stand-in does is known to be what Xen does. Domain 1 is guest a, still
 * running; edu is back in quarantine. One case is left out: asking for a pirq by number in
 * guest a's pirq space could meet one its kernel took.
 */
public final class RealXenControlContract extends XenControlContract {

    /** Printed, one per line, with "PT-XENCONTROL pass " or "PT-XENCONTROL fail " before it; EduOnXen expects these. */
    static final List<String> APPLICABLE = List.of("a_live_domain_is_alive_and_one_never_made_is_gone_and_refuses_calls",
            "a_function_is_held_for_one_guest_until_that_guest_gives_it_back", "a_domain_reaches_machine_frames_only_once_allowed_them",
            "taking_back_a_permission_never_given_is_no_error", "a_gsi_pirq_is_unmapped_once");

    private RealXenControlContract(XenControl xen, PciAddress function, long bar, int gsi) {
        super(xen, 1, XenSbdf.of(function), bar >>> 12, gsi);
    }

    /** Arguments: the function (in quarantine, domain 1 running), its BAR 0 address, its GSI. */
    public static void main(String[] args) {
        PciAddress function = PciAddress.parse(args[0]);
        long bar = Long.decode(args[1]);
        int gsi = Integer.parseInt(args[2]);
        try (ForeignXenControl xen = new ForeignXenControl()) {
            Dom0Cases.run("PT-XENCONTROL", XenControlContract.class, APPLICABLE,
                    test -> test.invoke(new RealXenControlContract(xen, function, bar, gsi)));
        }
    }
}
