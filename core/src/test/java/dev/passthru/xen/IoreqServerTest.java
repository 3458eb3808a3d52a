package dev.passthru.xen;

import dev.passthru.device.DeviceRig;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.device.Placement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static dev.passthru.pci.PciRegs.*;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link IoreqServer} on a stand-in of Xen's libraries ({@link FakeIoreqCalls}): what it claims,
 * how it answers config, MMIO and string ioreqs, and what it gives back. The function is the
 * Intel 82576 of examples/dumps (MSI-X table in the first page of BAR 3, the PBA two pages on).
 */
class IoreqServerTest {

    private static final int CONFIG = 2;
    private static final int MMIO = 1;
    private static final long BAR3 = 0xc080_0000L;
    private static final long GUEST_SBDF = 5L << 3;

    private final DeviceRig rig = new DeviceRig();
    private final FakeIoreqCalls calls = new FakeIoreqCalls();
    private final IoreqServer server = IoreqServer.start(calls, DeviceRig.DOMAIN);
    private final PassthroughDevice device = rig.attach(rig.nic, Placement.NONE);

    @AfterEach
    void stop() {
        server.close();
    }

    private long config(int offset, int size, long data, boolean read) throws InterruptedException {
        return calls.access(CONFIG, GUEST_SBDF << 32 | offset, size, data, 1, read, false, false);
    }

    @Test
    void claims_the_trapped_pages_only_while_the_guest_decodes_them_and_follows_a_move() throws Exception {
        server.serve(device);
        assertThat(calls.calls).contains("bind 33", "on", "claim 0000:00:05.0");
        assertThat(config(PCI_VENDOR_ID, 4, 0, true)).isEqualTo(0x10c9_8086L);
        config(PCI_BASE_ADDRESS_0 + 12, 4, BAR3, false);
        assertThat(calls.calls).noneMatch(c -> c.startsWith("claim 0x"));
        config(PCI_COMMAND, 2, PCI_COMMAND_MEMORY, false);
        assertThat(calls.calls).contains("claim 0xc0800000-0xc0800fff", "claim 0xc0802000-0xc0802fff");
        config(PCI_BASE_ADDRESS_0 + 12, 4, BAR3 + 0x10_0000, false);
        assertThat(calls.calls).contains("release 0xc0800000-0xc0800fff", "claim 0xc0900000-0xc0900fff");
        config(PCI_COMMAND, 2, 0, false);
        assertThat(calls.calls).contains("release 0xc0900000-0xc0900fff", "release 0xc0902000-0xc0902fff");
        assertThat(server.configAccesses()).isEqualTo(5);
    }

    @Test
    void answers_mmio_in_the_table_and_string_reads_into_guest_memory() throws Exception {
        server.serve(device);
        config(PCI_BASE_ADDRESS_0 + 12, 4, BAR3, false);
        config(PCI_COMMAND, 2, PCI_COMMAND_MEMORY, false);
        calls.access(MMIO, BAR3 + 0x10, 4, 0xfee0_1000L, 1, false, false, false);
        calls.access(MMIO, BAR3 + 0x18, 4, 0x4051, 1, false, false, false);
        assertThat(calls.access(MMIO, BAR3 + 0x18, 4, 0, 1, true, false, false)).isEqualTo(0x4051);
        // rep movsl of entries 0 and 1 (8 dwords) into guest RAM at 0x3ff0: the copy crosses into the next page.
        calls.access(MMIO, BAR3, 4, 0x3ff0, 8, true, true, false);
        assertThat(calls.calls).contains("map gfn 0x3 x2", "unmap guest x2");
        assertThat(calls.ram.get(JAVA_INT, 0x3ff0 + 0x10)).isEqualTo(0xfee0_1000);
        assertThat(calls.ram.get(JAVA_INT, 0x3ff0 + 0x18)).isEqualTo(0x4051);
        assertThat(calls.ram.get(JAVA_INT, 0x3ff0 + 0x1c)).as("entry 1 is masked").isEqualTo(1);
        // rep movsl the other way, stepping down: guest RAM into entry 2's address and data.
        calls.ram.set(JAVA_INT, 0x100, 0x4061);
        calls.ram.set(JAVA_INT, 0xfc, 0);
        calls.ram.set(JAVA_INT, 0xf8, 0xfee0_2000);
        calls.access(MMIO, BAR3 + 0x28, 4, 0x100, 3, false, true, true);
        assertThat(device.mmioRead(3, 0x20, 4)).isEqualTo(0xfee0_2000L);
        assertThat(device.mmioRead(3, 0x28, 4)).isEqualTo(0x4061L);
        assertThat(calls.access(MMIO, 0xd000_0000L, 4, 0, 1, true, false, false)).as("not ours").isEqualTo(0xffff_ffffL);
    }

    @Test
    void a_server_whose_domain_is_gone_gives_back_only_what_is_its_own() {
        server.serve(device);
        calls.calls.clear();
        server.abandon();
        assertThat(calls.calls).containsExactly("unbind 133", "unmap page 7");
    }
}
