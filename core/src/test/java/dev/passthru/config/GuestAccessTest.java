package dev.passthru.config;

import dev.passthru.config.Subjects.Subject;
import dev.passthru.log.RateLimitedLog;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Accesses of any width at any offset: answered, never thrown; neighbours keep their rules. */
class GuestAccessTest {

    @Test
    void reads_past_the_config_space_answer_all_ones() {
        Subject conventional = Subjects.virtioNet();
        assertThat(conventional.view().read(0x100, 4)).isEqualTo(0xffffffff);
        assertThat(conventional.view().read(0xfff, 1)).isEqualTo(0xff);
        assertThat(conventional.view().read(-4, 4)).isEqualTo(0xffffffff);
        assertThat(conventional.view().read(Integer.MAX_VALUE, 4)).isEqualTo(0xffffffff);
        Subject express = Subjects.nic82576();
        assertThat(express.view().read(0x1000, 2)).isEqualTo(0xffff);
        assertThat(express.view().counters().outOfRange()).isEqualTo(1);
    }

    @Test
    void a_read_across_the_end_keeps_the_bytes_inside() {
        Subject s = Subjects.virtioNet();
        int inside = s.view().read(0xfe, 2);
        assertThat(s.view().read(0xfe, 4)).isEqualTo(0xffff0000 | inside);
    }

    @Test
    void odd_widths_read_all_ones_and_write_nothing() {
        Subject s = Subjects.virtioNet();
        for (int width : new int[] {0, 3, 5, 8, -1}) {
            assertThat(s.view().read(0, width)).isEqualTo(0xffffffff);
            assertThat(s.view().write(PCI_COMMAND, width, 0x7)).isZero();
        }
        assertThat(s.host().writes).isEmpty();
        assertThat(s.view().counters().badWidth()).isEqualTo(10);
    }

    @Test
    void writes_past_the_end_are_dropped_there() {
        Subject s = Subjects.virtioNet();
        byte[] before = s.host().bytes();
        assertThat(s.view().write(0x100, 4, 0x12345678)).isZero();
        assertThat(s.view().write(-2, 4, 0x12345678)).isZero();
        assertThat(s.host().bytes()).isEqualTo(before);
        assertThat(s.view().counters().outOfRange()).isEqualTo(2);
    }

    @Test
    void an_unaligned_access_spanning_registers_keeps_each_registers_rules_xsa_131() {
        Subject s = Subjects.virtioNet();
        byte[] before = s.host().bytes();
        // Device ID high byte, command low byte, command high byte, status low byte.
        s.view().write(PCI_DEVICE_ID + 1, 4, 0xffffffff);
        // Bus master is the only bit that travels, and it travels alone, as a byte.
        assertThat(s.host().writes).containsExactly(
                new RecordingHost.Write(PCI_COMMAND, 1, (before[PCI_COMMAND] & 0xef) | PCI_COMMAND_MASTER | PCI_COMMAND_INVALIDATE));
        assertThat(s.view().read(PCI_DEVICE_ID, 2)).isEqualTo(0x1000);
        assertThat(s.view().read(PCI_COMMAND, 2) & HeaderRegisters.COMMAND_VIRTUAL)
                .isEqualTo(HeaderRegisters.COMMAND_VIRTUAL);
    }

    @Test
    void an_unaligned_write_into_device_specific_space_goes_byte_by_byte() {
        Subject s = Subjects.nic82576();
        s.view().write(0xe1, 4, 0xa1b2c3d4);
        assertThat(s.host().writes).extracting(RecordingHost.Write::offset).containsExactly(0xe1, 0xe2, 0xe3, 0xe4);
        assertThat(s.hostRead(0xe1, 4)).isEqualTo(0xa1b2c3d4);
        assertThat(s.view().read(0xe1, 4)).isEqualTo(0xa1b2c3d4);
    }

    @Test
    void device_specific_space_passes_through_as_in_the_seed() {
        Subject s = Subjects.nic82576();
        s.view().write(0xe0, 4, 0x01020304);
        assertThat(s.host().writes).containsExactly(new RecordingHost.Write(0xe0, 4, 0x01020304));
        assertThat(s.view().read(0xe0, 4)).isEqualTo(0x01020304);
    }

    @Test
    void a_flood_of_bad_accesses_logs_a_bounded_number_of_lines_xsa_130() {
        AtomicLong clock = new AtomicLong();
        RateLimitedLog log = new RateLimitedLog(System.getLogger("test.flood"), 10, 1_000_000_000L, clock::get);
        Subject s = Subjects.virtioNet();
        VirtualConfigSpace view = VirtualConfigSpace.create(s.host(), s.view().bars(), ConfigOptions.DEFAULT, log);
        for (int i = 0; i < 100_000; i++) {
            view.read(0x100 + i, 4);
        }
        assertThat(view.counters().outOfRange()).isEqualTo(100_000);
        assertThat(log.suppressed()).isEqualTo(100_000 - 10);
        assertThat(view.read(PCI_VENDOR_ID, 2)).isEqualTo(0x1af4);
    }
}
