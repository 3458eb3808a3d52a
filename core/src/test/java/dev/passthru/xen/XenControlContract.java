package dev.passthru.xen;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What Xen 4.17 does for the calls of {@link XenControl} that passthru relies on, as the
 * stand-in must do it too: a domain that was never made is gone and every call on it fails
 * with ESRCH; a function is given to one domain at a time (EBUSY) and given back only by it
 * (ENODEV); a domain reaches machine frames only once it is allowed them (EPERM), and taking
 * back what was never allowed is no error; a pirq is unmapped once (EINVAL). Failures are
 * checked by the errno's name in the message, which says what Xen answered.
 *
 * <p>A test extends this with a machine where {@code domain} is a live domain and {@code sbdf}
 * a function held by no guest, whose memory BAR starts at frame {@code mfn} and whose INTx is
 * on {@code gsi}; each case gives back what it took.
 */
public abstract class XenControlContract {

    /** A domain id below Xen's reserved ones that no test machine reaches. */
    protected static final int NEVER_MADE = 32000;
    /** Where the cases map the BAR in the domain: above its RAM, below 4 GiB. */
    private static final long GFN = 0xc0000;

    private final XenControl xen;
    private final int domain;
    private final int sbdf;
    private final long mfn;
    private final int gsi;

    protected XenControlContract(XenControl xen, int domain, int sbdf, long mfn, int gsi) {
        this.xen = xen;
        this.domain = domain;
        this.sbdf = sbdf;
        this.mfn = mfn;
        this.gsi = gsi;
    }

    /** The call fails with the errno named by {@code errno}, a pattern: its name, or its number where it has no name here. */
    static void fails(ThrowingCallable call, String errno) {
        assertThatThrownBy(call).isInstanceOf(RuntimeException.class).hasMessageMatching("(?s).*(" + errno + ").*");
    }

    @Test
    void a_live_domain_is_alive_and_one_never_made_is_gone_and_refuses_calls() {
        assertThat(xen.domainState(domain)).isEqualTo(XenControl.DomainState.ALIVE);
        assertThat(xen.domainState(NEVER_MADE)).isEqualTo(XenControl.DomainState.GONE);
        fails(() -> xen.iomemPermission(NEVER_MADE, mfn, 1, false), "ESRCH");
        fails(() -> xen.deassignDevice(NEVER_MADE, sbdf), "ESRCH");
    }

    @Test
    void a_function_is_held_for_one_guest_until_that_guest_gives_it_back() {
        assertThat(xen.heldForGuest(sbdf)).isFalse();
        fails(() -> xen.deassignDevice(domain, sbdf), "ENODEV");
        xen.assignDevice(domain, sbdf, true);
        try {
            assertThat(xen.heldForGuest(sbdf)).isTrue();
            fails(() -> xen.assignDevice(domain, sbdf, true), "EBUSY");
        } finally {
            xen.deassignDevice(domain, sbdf);
        }
        assertThat(xen.heldForGuest(sbdf)).isFalse();
        fails(() -> xen.deassignDevice(domain, sbdf), "ENODEV");
    }

    @Test
    void a_domain_reaches_machine_frames_only_once_allowed_them() {
        xen.assignDevice(domain, sbdf, true);
        try {
            fails(() -> xen.memoryMapping(domain, GFN, mfn, 16, true), "EPERM");
            xen.iomemPermission(domain, mfn, 16, true);
            xen.memoryMapping(domain, GFN, mfn, 16, true);
            xen.memoryMapping(domain, GFN, mfn, 16, false);
            xen.iomemPermission(domain, mfn, 16, false);
            fails(() -> xen.memoryMapping(domain, GFN, mfn, 16, true), "EPERM");
        } finally {
            xen.deassignDevice(domain, sbdf);
        }
    }

    @Test
    void taking_back_a_permission_never_given_is_no_error() {
        xen.iomemPermission(domain, mfn, 16, false);
        xen.iomemPermission(domain, mfn, 16, false);
    }

    @Test
    void a_gsi_pirq_is_unmapped_once() {
        xen.assignDevice(domain, sbdf, true);
        try {
            int pirq = xen.mapPirqGsi(domain, gsi);
            assertThat(pirq).isPositive();
            xen.unmapPirq(domain, pirq);
            fails(() -> xen.unmapPirq(domain, pirq), "EINVAL");
        } finally {
            xen.deassignDevice(domain, sbdf);
        }
    }

    @Test
    void an_msi_pirq_asked_for_is_the_one_given() {
        int bus = (sbdf >> 8) & 0xff;
        int devfn = sbdf & 0xff;
        xen.assignDevice(domain, sbdf, true);
        try {
            int any = xen.mapPirqMsi(domain, XenControl.ANY_PIRQ, bus, devfn, 0, 0);
            assertThat(any).isPositive();
            xen.unmapPirq(domain, any);
            int asked = any + 1;
            assertThat(xen.mapPirqMsi(domain, asked, bus, devfn, 0, 0)).isEqualTo(asked);
            xen.unmapPirq(domain, asked);
        } finally {
            xen.deassignDevice(domain, sbdf);
        }
    }
}
