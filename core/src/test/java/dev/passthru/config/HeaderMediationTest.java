package dev.passthru.config;

import dev.passthru.config.Subjects.Subject;
import org.junit.jupiter.api.Test;

import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;

/** The type-0 header: what reads through, what is virtual, what reaches the host. */
class HeaderMediationTest {

    @Test
    void identity_registers_read_through_from_the_host() {
        Subject s = Subjects.nic82576();
        for (int offset : new int[] {PCI_VENDOR_ID, PCI_DEVICE_ID, PCI_REVISION_ID, PCI_CLASS_PROG,
                PCI_SUBSYSTEM_VENDOR_ID, PCI_SUBSYSTEM_ID}) {
            int width = offset == PCI_REVISION_ID || offset == PCI_CLASS_PROG ? 1 : 2;
            assertThat(s.view().read(offset, width)).as("0x%02x", offset).isEqualTo(s.hostRead(offset, width));
        }
        assertThat(s.view().read(PCI_VENDOR_ID, 4)).isEqualTo(0x10c98086);
        assertThat(s.view().read(PCI_CLASS_DEVICE, 2)).isEqualTo(0x0200);
        assertThat(s.view().read(PCI_INTERRUPT_PIN, 1)).isEqualTo(s.hostRead(PCI_INTERRUPT_PIN, 1));
    }

    @Test
    void identity_registers_ignore_writes() {
        Subject s = Subjects.nic82576();
        s.view().write(PCI_VENDOR_ID, 4, 0xdeadbeef);
        s.view().write(PCI_CLASS_PROG, 1, 0x55);
        assertThat(s.view().read(PCI_VENDOR_ID, 4)).isEqualTo(0x10c98086);
        assertThat(s.host().writes).isEmpty();
    }

    @Test
    void the_guest_starts_with_decode_off_and_bars_at_zero() {
        Subject s = Subjects.virtioNet();
        assertThat(s.view().read(PCI_COMMAND, 2) & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)).isZero();
        assertThat(s.view().read(PCI_BASE_ADDRESS_0, 4)).isEqualTo(0x1);
        assertThat(s.view().read(PCI_BASE_ADDRESS_0 + 4, 4)).isZero();
        assertThat(s.view().read(PCI_ROM_ADDRESS, 4)).isZero();
        assertThat(s.view().read(PCI_INTERRUPT_LINE, 1)).isZero();
    }

    @Test
    void serr_and_parity_enables_never_reach_the_host_xsa_120() {
        Subject s = Subjects.virtioNet();
        int hostBefore = s.hostRead(PCI_COMMAND, 2);
        int changes = s.view().write(PCI_COMMAND, 2, PCI_COMMAND_SERR | PCI_COMMAND_PARITY | PCI_COMMAND_MASTER);
        assertThat(s.view().read(PCI_COMMAND, 2) & (PCI_COMMAND_SERR | PCI_COMMAND_PARITY))
                .isEqualTo(PCI_COMMAND_SERR | PCI_COMMAND_PARITY);
        int hostAfter = s.hostRead(PCI_COMMAND, 2);
        assertThat(hostAfter & (PCI_COMMAND_SERR | PCI_COMMAND_PARITY))
                .isEqualTo(hostBefore & (PCI_COMMAND_SERR | PCI_COMMAND_PARITY));
        assertThat(changes).isZero();
    }

    @Test
    void clearing_decode_leaves_the_host_decode_on_xsa_126() {
        Subject s = Subjects.virtioNet();
        assertThat(s.hostRead(PCI_COMMAND, 2) & 0x3).isEqualTo(0x3);
        int on = s.view().write(PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
        assertThat(on).isEqualTo(ConfigChanges.DECODE);
        assertThat(s.view().memoryDecode()).isTrue();
        assertThat(s.view().ioDecode()).isTrue();
        int off = s.view().write(PCI_COMMAND, 2, 0);
        assertThat(off).isEqualTo(ConfigChanges.DECODE);
        assertThat(s.view().memoryDecode()).isFalse();
        assertThat(s.view().ioDecode()).isFalse();
        assertThat(s.view().read(PCI_COMMAND, 2) & 0x3).isZero();
        assertThat(s.hostRead(PCI_COMMAND, 2) & 0x3).isEqualTo(0x3);
    }

    @Test
    void bus_mastering_reaches_the_host_alone() {
        Subject s = Subjects.nic82576();
        int before = s.hostRead(PCI_COMMAND, 2);
        s.view().write(PCI_COMMAND, 2, PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY | PCI_COMMAND_SERR);
        assertThat(s.host().writes).containsExactly(
                new RecordingHost.Write(PCI_COMMAND, 1, (before & ~PCI_COMMAND_INVALIDATE & 0xff) | PCI_COMMAND_MASTER));
        s.view().write(PCI_COMMAND, 2, 0);
        assertThat(s.hostRead(PCI_COMMAND, 2) & PCI_COMMAND_MASTER).isZero();
        assertThat(s.hostRead(PCI_COMMAND, 2) & PCI_COMMAND_MEMORY).isEqualTo(before & PCI_COMMAND_MEMORY);
    }

    @Test
    void intx_disable_is_virtual_and_reported() {
        Subject s = Subjects.nic82576();
        int hostBefore = s.hostRead(PCI_COMMAND, 2);
        int changes = s.view().write(PCI_COMMAND + 1, 1, PCI_COMMAND_INTX_DISABLE >>> 8);
        assertThat(changes).isEqualTo(ConfigChanges.INTX);
        assertThat(s.view().intxDisabled()).isTrue();
        assertThat(s.hostRead(PCI_COMMAND, 2)).isEqualTo(hostBefore);
    }

    @Test
    void status_error_bits_clear_on_the_host_only_where_a_one_is_written() {
        Subject s = Subjects.nic82576();
        s.view().write(PCI_STATUS, 2, PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_CAP_LIST | PCI_STATUS_INTERRUPT);
        // Only the error bit travels: the high status byte with a single 1, nothing else.
        assertThat(s.host().writes).containsExactly(
                new RecordingHost.Write(PCI_STATUS + 1, 1, PCI_STATUS_REC_MASTER_ABORT >>> 8));
    }

    @Test
    void status_reads_the_host_with_a_virtual_capability_list_bit() {
        Subject s = Subjects.nic82576();
        int host = s.hostRead(PCI_STATUS, 2);
        assertThat(s.view().read(PCI_STATUS, 2)).isEqualTo(host | PCI_STATUS_CAP_LIST);
    }

    @Test
    void a_partly_forwarded_host_register_is_written_back_without_clearing_anything() {
        Subject s = Subjects.nic82576();
        s.host().memory.write(PCI_STATUS, 2, 0xf910);
        // A dword write over command and status: bus master and one error bit travel.
        s.view().write(PCI_COMMAND, 4, (PCI_STATUS_SIG_SYSTEM_ERROR << 16) | PCI_COMMAND_MASTER);
        RecordingHost.Write write = s.host().writes.getLast();
        assertThat(write.offset()).isEqualTo(PCI_COMMAND);
        assertThat(write.width()).isEqualTo(4);
        assertThat((write.value() >>> 16) & PCI_STATUS_ERROR_BITS).as("error bits written as 1")
                .isEqualTo(PCI_STATUS_SIG_SYSTEM_ERROR);
    }

    @Test
    void cache_line_latency_and_interrupt_line_belong_to_the_guest() {
        Subject s = Subjects.virtioNet();
        s.view().write(PCI_CACHE_LINE_SIZE, 2, 0x4010);
        s.view().write(PCI_INTERRUPT_LINE, 1, 11);
        assertThat(s.view().read(PCI_CACHE_LINE_SIZE, 2)).isEqualTo(0x4010);
        assertThat(s.view().read(PCI_INTERRUPT_LINE, 1)).isEqualTo(11);
        assertThat(s.host().writes).isEmpty();
    }

    @Test
    void bist_reads_zero_and_header_type_keeps_the_host_type() {
        Subject s = Subjects.virtioNet();
        s.view().write(PCI_BIST, 1, 0x40);
        assertThat(s.view().read(PCI_BIST, 1)).isZero();
        assertThat(s.view().read(PCI_HEADER_TYPE, 1)).isEqualTo(PCI_HEADER_TYPE_NORMAL);
    }

    @Test
    void the_multi_function_bit_is_the_bus_s_to_set() {
        Subject s = Subjects.virtioNet();
        s.view().setMultiFunction(true);
        assertThat(s.view().read(PCI_HEADER_TYPE, 1)).isEqualTo(PCI_HEADER_TYPE_MFD);
        s.view().write(PCI_HEADER_TYPE, 1, 0);
        assertThat(s.view().read(PCI_HEADER_TYPE, 1)).isEqualTo(PCI_HEADER_TYPE_MFD);
        s.view().reset();
        assertThat(s.view().read(PCI_HEADER_TYPE, 1)).isEqualTo(PCI_HEADER_TYPE_MFD);
        s.view().setMultiFunction(false);
        assertThat(s.view().read(PCI_HEADER_TYPE, 1)).isZero();
        assertThat(s.host().writes).isEmpty();
    }

    @Test
    void reserved_command_bits_reach_the_host_only_when_permissive() {
        Subject strict = Subjects.virtioNet();
        strict.view().write(PCI_COMMAND + 1, 1, 0xf8);
        assertThat(strict.host().writes).isEmpty();
        assertThat(strict.view().counters().reservedWrites()).isEqualTo(1);

        Subject permissive = Subjects.virtioNet(ConfigOptions.DEFAULT.withPermissive(true));
        permissive.view().write(PCI_COMMAND + 1, 1, 0xf8);
        assertThat(permissive.hostRead(PCI_COMMAND + 1, 1) & 0xf8).isEqualTo(0xf8);
    }

    @Test
    void a_bridge_keeps_its_bus_numbers_and_windows_from_the_guest() {
        Subject s = Subjects.rootPort();
        int buses = s.hostRead(PCI_PRIMARY_BUS, 4);
        assertThat(s.view().read(PCI_PRIMARY_BUS, 4)).isEqualTo(buses);
        s.view().write(PCI_PRIMARY_BUS, 4, 0x00ffff00);
        s.view().write(PCI_BRIDGE_CONTROL, 2, 0x0040);
        s.view().write(PCI_MEMORY_BASE, 4, 0xfff0_0000);
        assertThat(s.view().read(PCI_PRIMARY_BUS, 4)).isEqualTo(0x00ffff00);
        assertThat(s.hostRead(PCI_PRIMARY_BUS, 4)).isEqualTo(buses);
        assertThat(s.host().writes).isEmpty();
    }

    @Test
    void reset_puts_the_virtual_registers_back_and_says_what_changed() {
        Subject s = Subjects.virtioNet();
        s.view().write(PCI_BASE_ADDRESS_0 + 4, 4, 0xfebd6000);
        s.view().write(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
        int changes = s.view().reset();
        assertThat(changes).isEqualTo(ConfigChanges.DECODE | ConfigChanges.BAR0 << 1);
        assertThat(s.view().read(PCI_BASE_ADDRESS_0 + 4, 4)).isZero();
        assertThat(s.view().memoryDecode()).isFalse();
    }
}
