package dev.passthru.xen;

import dev.passthru.device.DeviceRig;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.device.Placement;
import dev.passthru.os.NativeCallFailed;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.passthru.pci.PciRegs.*;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link IoreqServer} on a stand-in of Xen's libraries ({@link FakeIoreqCalls}): what it claims,
 * how it answers config, MMIO and string ioreqs of each size and direction, what it answers to
 * ioreqs it cannot serve (all-ones, never an exception, and it goes on), and what it gives back
 * when it starts half-way, closes, or is abandoned. The function is the Intel 82576 of
 * examples/dumps (MSI-X table in the first page of BAR 3, the PBA two pages on).
 */
class IoreqServerTest {

    private static final int PIO = 0;
    private static final int CONFIG = 2;
    private static final int MMIO = 1;
    /** IOREQ_TYPE_TIMEOFFSET: Xen sends it to the default server only; any other type is not served here. */
    private static final int TIMEOFFSET = 7;
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

    private long read(long address, int size) throws InterruptedException {
        return calls.access(MMIO, address, size, 0, 1, true, false, false);
    }

    private void write(long address, int size, long data) throws InterruptedException {
        calls.access(MMIO, address, size, data, 1, false, false, false);
    }

    /** Serves the NIC with BAR 3 at {@link #BAR3} and memory decode on: the MSI-X table and PBA pages are claimed. */
    private void serveWithTableClaimed() throws InterruptedException {
        server.serve(device);
        config(PCI_BASE_ADDRESS_0 + 12, 4, BAR3, false);
        config(PCI_COMMAND, 2, PCI_COMMAND_MEMORY, false);
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
    void answers_config_reads_and_writes_of_each_size() throws Exception {
        server.serve(device);
        assertThat(config(PCI_VENDOR_ID, 1, 0, true)).isEqualTo(0x86);
        assertThat(config(PCI_VENDOR_ID + 1, 1, 0, true)).isEqualTo(0x80);
        assertThat(config(PCI_VENDOR_ID, 2, 0, true)).isEqualTo(0x8086);
        assertThat(config(PCI_DEVICE_ID, 2, 0, true)).isEqualTo(0x10c9);
        config(PCI_INTERRUPT_LINE, 1, 0x0b, false);
        assertThat(config(PCI_INTERRUPT_LINE, 1, 0, true)).isEqualTo(0x0b);
        config(PCI_COMMAND, 2, PCI_COMMAND_MEMORY, false);
        assertThat(config(PCI_COMMAND, 2, 0, true) & PCI_COMMAND_MEMORY).isEqualTo(PCI_COMMAND_MEMORY);
        config(PCI_BASE_ADDRESS_0 + 12, 4, BAR3, false);
        assertThat(config(PCI_BASE_ADDRESS_0 + 12, 4, 0, true) & ~0xfL).isEqualTo(BAR3);
        assertThat(server.answered(device).config()).isEqualTo(10);
    }

    @Test
    void answers_mmio_reads_and_writes_of_each_size_and_repeated_writes_stepping_up_and_down() throws Exception {
        serveWithTableClaimed();
        write(BAR3 + 0x10, 8, 0xfee0_2000L);
        write(BAR3 + 0x18, 2, 0x4052);
        write(BAR3 + 0x1a, 1, 0);
        assertThat(read(BAR3 + 0x10, 8)).isEqualTo(0xfee0_2000L);
        assertThat(read(BAR3 + 0x10, 4)).isEqualTo(0xfee0_2000L);
        assertThat(read(BAR3 + 0x18, 2)).isEqualTo(0x4052);
        assertThat(read(BAR3 + 0x19, 1)).isEqualTo(0x40);
        // rep stosl of 0xfee03000 over entry 3's address, both dwords, stepping up; then entry 4's, stepping down.
        calls.access(MMIO, BAR3 + 0x30, 4, 0xfee0_3000L, 2, false, false, false);
        assertThat(read(BAR3 + 0x30, 8)).isEqualTo(0xfee0_3000_fee0_3000L);
        calls.access(MMIO, BAR3 + 0x44, 4, 0xfee0_4000L, 2, false, false, true);
        assertThat(read(BAR3 + 0x40, 8)).isEqualTo(0xfee0_4000_fee0_4000L);
        assertThat(server.answered(device).mmio()).isEqualTo(11);
    }

    @Test
    void an_ioreq_it_cannot_serve_reads_all_ones_of_its_size_and_the_server_goes_on() throws Exception {
        serveWithTableClaimed();
        assertThat(calls.access(PIO, 0xcf8, 2, 0, 1, true, false, false)).as("port I/O").isEqualTo(0xffff);
        assertThat(calls.access(TIMEOFFSET, 0, 4, 0, 1, true, false, false)).as("a type not served").isEqualTo(0xffff_ffffL);
        assertThat(calls.access(CONFIG, 9L << 35 | PCI_VENDOR_ID, 2, 0, 1, true, false, false)).as("a function not served")
                .isEqualTo(0xffff);
        calls.access(CONFIG, 9L << 35 | PCI_COMMAND, 2, PCI_COMMAND_MEMORY, 1, false, false, false);
        assertThat(read(0xd000_0000L, 1)).as("an address not claimed").isEqualTo(0xff);
        assertThat(read(BAR3 + 0x1000, 4)).as("a page of BAR 3 that is mapped, not trapped").isEqualTo(0xffff_ffffL);
        calls.access(MMIO, BAR3, 16, 0x1000, 1, true, true, false);
        calls.access(MMIO, BAR3, 4, 0x1000, 3 * 1024, true, true, false);
        calls.access(MMIO, BAR3, 4, 0x10_0000, 1, true, true, false);
        assertThat(calls.calls).as("strings too wide, too long, or outside guest RAM copy nothing")
                .doesNotContain("unmap guest x1", "unmap guest x4");
        calls.spuriousEvent();
        write(BAR3 + 0x18, 4, 0x4061);
        assertThat(read(BAR3 + 0x18, 4)).as("still serving").isEqualTo(0x4061);
    }

    @Test
    void close_releases_each_function_then_gives_back_ports_state_page_and_server_once() throws Exception {
        serveWithTableClaimed();
        calls.calls.clear();
        server.close();
        assertThat(calls.calls).containsExactly("release 0xc0800000-0xc0800fff", "release 0xc0802000-0xc0802fff",
                "release 0000:00:05.0", "unbind 133", "off", "unmap page 7", "destroy 7");
        server.close();
        server.abandon();
        assertThat(calls.calls).hasSize(7);
    }

    @Test
    void a_close_whose_call_fails_takes_the_rest_down_and_reports_the_first_failure() throws Exception {
        serveWithTableClaimed();
        calls.calls.clear();
        calls.fail("release 0000:00:05.0");
        assertThatThrownBy(server::close).isInstanceOf(NativeCallFailed.class).hasMessageContaining("EBUSY");
        assertThat(calls.calls).endsWith("unbind 133", "off", "unmap page 7", "destroy 7");
    }

    @Test
    void a_start_that_fails_at_any_step_undoes_the_steps_before_it() {
        server.close();
        for (String step : List.of("map page", "on", "bind")) {
            FakeIoreqCalls failing = new FakeIoreqCalls();
            failing.fail(step);
            assertThatThrownBy(() -> IoreqServer.start(failing, DeviceRig.DOMAIN)).as(step).hasMessageContaining("EBUSY");
            List<String> made = failing.calls.subList(0, failing.calls.indexOf(failing.calls.stream()
                    .filter(c -> c.startsWith(step)).findFirst().orElseThrow()));
            assertThat(failing.calls).as(step).endsWith(undone(made).toArray(String[]::new));
        }
        FakeIoreqCalls noVcpu = new FakeIoreqCalls();
        noVcpu.noVcpus();
        assertThatThrownBy(() -> IoreqServer.start(noVcpu, DeviceRig.DOMAIN)).hasMessageContaining("no vCPU event channel");
        assertThat(noVcpu.calls).containsExactly("create 1", "map page 7", "on", "off", "unmap page 7", "destroy 7");
    }

    /** The undo of each step made, last first. */
    private static List<String> undone(List<String> made) {
        List<String> undo = new ArrayList<>();
        for (String step : made.reversed()) {
            undo.add(switch (step.split(" ")[0]) {
                case "create" -> "destroy " + FakeIoreqCalls.SERVER;
                case "map" -> "unmap page " + FakeIoreqCalls.SERVER;
                case "on" -> "off";
                default -> throw new IllegalArgumentException(step);
            });
        }
        return undo;
    }

    @Test
    void a_server_whose_domain_is_gone_gives_back_only_what_is_its_own() {
        server.serve(device);
        calls.calls.clear();
        server.abandon();
        assertThat(calls.calls).containsExactly("unbind 133", "unmap page 7");
    }
}
