package dev.passthru.xen;

import dev.passthru.pci.PciAddress;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.passthru.xen.XenControlContract.fails;

/**
 * What Xen 4.17 and Linux's event channel driver do for the calls of {@link IoreqCalls} that
 * {@link IoreqServer} relies on, as the stand-in must do it too: a server of a domain never made
 * is refused (ESRCH) and a destroyed one refuses calls (ENOENT); a function or an MMIO range is
 * routed to a server once (EEXIST) and unrouted only where it is routed, a part of a range
 * included (ENOENT); a server turned on names its vCPU's port in its ioreq page, that port is
 * bound once (EINVAL) and bound with an event pending, a port not bound is not unbound
 * (ENOTCONN); guest frames map as the pages asked for. Failures are checked by the errno's
 * name in the message.
 *
 * <p>Nothing is routed to a server while it is on, so that no access of a running guest waits
 * on one: a test extends this with the calls, a live HVM {@code domain}, a guest function
 * address and an MMIO range nothing serves, and a frame of the domain's RAM.
 */
public abstract class IoreqCallsContract {

    private final IoreqCalls calls;
    private final int domain;
    private final PciAddress function;
    private final long mmio;
    private final long ramFrame;

    protected IoreqCallsContract(IoreqCalls calls, int domain, PciAddress function, long mmio, long ramFrame) {
        this.calls = calls;
        this.domain = domain;
        this.function = function;
        this.mmio = mmio;
        this.ramFrame = ramFrame;
    }

    @Test
    void a_server_of_a_domain_never_made_is_refused_and_a_destroyed_one_refuses_calls() {
        fails(() -> calls.createServer(XenControlContract.NEVER_MADE), "ESRCH");
        int server = calls.createServer(domain);
        calls.setServerState(domain, server, false);
        calls.destroyServer(domain, server);
        fails(() -> calls.setServerState(domain, server, true), "ENOENT");
        fails(() -> calls.mapPciFunction(domain, server, function, true), "ENOENT");
        fails(() -> calls.destroyServer(domain, server), "ENOENT");
    }

    @Test
    void a_function_is_routed_to_a_server_once_and_unrouted_once() {
        int server = calls.createServer(domain);
        try {
            calls.mapPciFunction(domain, server, function, true);
            fails(() -> calls.mapPciFunction(domain, server, function, true), "EEXIST");
            calls.mapPciFunction(domain, server, function, false);
            fails(() -> calls.mapPciFunction(domain, server, function, false), "ENOENT");
        } finally {
            calls.destroyServer(domain, server);
        }
    }

    @Test
    void an_mmio_range_is_routed_once_and_unrouted_where_it_is_routed() {
        int server = calls.createServer(domain);
        try {
            calls.mapMmioRange(domain, server, mmio, mmio + 0xfff, true);
            fails(() -> calls.mapMmioRange(domain, server, mmio + 0x800, mmio + 0x17ff, true), "EEXIST");
            fails(() -> calls.mapMmioRange(domain, server, mmio + 0x800, mmio + 0x17ff, false), "ENOENT");
            calls.mapMmioRange(domain, server, mmio, mmio + 0x7ff, false);
            fails(() -> calls.mapMmioRange(domain, server, mmio, mmio + 0xfff, false), "ENOENT");
            calls.mapMmioRange(domain, server, mmio + 0x800, mmio + 0xfff, false);
            fails(() -> calls.mapMmioRange(domain, server, mmio + 0x800, mmio + 0xfff, false), "ENOENT");
        } finally {
            calls.destroyServer(domain, server);
        }
    }

    @Test
    void a_server_turned_on_names_its_vcpus_port_which_is_bound_once_with_an_event_pending() {
        int server = calls.createServer(domain);
        try {
            MemorySegment page = calls.mapIoreqPage(domain, server);
            assertThat(page.byteSize()).isEqualTo(4096);
            calls.setServerState(domain, server, true);
            int remote = Ioreq.remotePort(page, 0);
            assertThat(remote).as("vCPU 0's port").isPositive();
            int local = calls.bindPort(domain, remote);
            assertThat(local).isPositive();
            fails(() -> calls.bindPort(domain, remote), "EINVAL");
            assertThat(calls.pending(1000)).as("the event Xen sets on binding").isEqualTo(local);
            calls.unmask(local);
            assertThat(calls.pending(10)).as("nothing is routed to the server").isEqualTo(-1);
            calls.unbindPort(local);
            fails(() -> calls.unbindPort(local), "ENOTCONN|errno 107");
            calls.setServerState(domain, server, false);
            calls.unmapIoreqPage(domain, server);
        } finally {
            calls.destroyServer(domain, server);
        }
    }

    /**
     * Only the mapping of RAM is promised: real Xen 4.17 maps a frame past the guest's RAM
     * (gfn 2^40) without an error for it (seen in dom0), so no refusal is part of the contract.
     */
    @Test
    void guest_frames_of_ram_map_as_the_pages_asked_for() {
        MemorySegment frames = calls.mapGuestFrames(domain, ramFrame, 2);
        assertThat(frames.byteSize()).isEqualTo(2 * 4096);
        calls.unmapGuestFrames(frames, 2);
    }
}
