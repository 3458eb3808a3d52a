package dev.passthru.xen;

import dev.passthru.pci.PciAddress;

import java.util.List;

/**
 * Run in dom0 by XenGuestTest, after {@link RealXenControlContract}: the contract of
 * {@link IoreqCalls} on {@link ForeignIoreqCalls}, that is on Xen and Linux's event channel
 * driver, so that what the stand-in does is known to be what they do. Domain 1 is guest a,
 * still running, whose passthru server is gone; guest slot 00:1e.0 and 0xd0000000 are served by
 * nobody, and frame 0x100 is in its RAM. Every case applies: none routes anything to a server
 * that is on.
 */
public final class RealIoreqCallsContract extends IoreqCallsContract {

    /** Printed, one per line, with "PT-IOREQ pass " or "PT-IOREQ fail " before it; EduOnXen expects these. */
    static final List<String> APPLICABLE = List.of("a_server_of_a_domain_never_made_is_refused_and_a_destroyed_one_refuses_calls",
            "a_function_is_routed_to_a_server_once_and_unrouted_once", "an_mmio_range_is_routed_once_and_unrouted_where_it_is_routed",
            "a_server_turned_on_names_its_vcpus_port_which_is_bound_once_with_an_event_pending",
            "guest_frames_of_ram_map_as_the_pages_asked_for");

    private RealIoreqCallsContract(IoreqCalls calls) {
        super(calls, 1, PciAddress.parse("0000:00:1e.0"), 0xd000_0000L, 0x100);
    }

    /** No arguments: domain 1 must be guest a, running. */
    public static void main(String[] args) {
        try (ForeignIoreqCalls calls = new ForeignIoreqCalls()) {
            Dom0Cases.run("PT-IOREQ", IoreqCallsContract.class, APPLICABLE, test -> test.invoke(new RealIoreqCallsContract(calls)));
        }
    }
}
