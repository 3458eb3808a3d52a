package dev.passthru.config;

import dev.passthru.config.Subjects.Subject;
import dev.passthru.host.BarKind;
import org.junit.jupiter.api.Test;

import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Virtual BARs and the expansion ROM: sizing probes, moves, change sets; the host's never change. */
class BarEmulationTest {

    private static int bar(int index) {
        return PCI_BASE_ADDRESS_0 + 4 * index;
    }

    @Test
    void sizing_probe_of_io_bar_reports_size() {
        Subject s = Subjects.virtioNet();
        s.view().write(bar(0), 4, 0xffffffff);
        assertThat(s.view().read(bar(0), 4)).isEqualTo(0xffffffe1);
    }

    @Test
    void sizing_probe_of_32bit_bar_reports_size() {
        Subject s = Subjects.virtioNet();
        s.view().write(bar(2), 4, 0xffffffff);
        assertThat(s.view().read(bar(2), 4)).isEqualTo(0xfff80000);
    }

    @Test
    void sizing_probe_of_64bit_bar_reports_size() {
        Subject s = Subjects.virtioFs();
        s.view().write(bar(2), 4, 0xffffffff);
        s.view().write(bar(3), 4, 0xffffffff);
        assertThat(s.view().read(bar(2), 4)).isEqualTo(0xc000000c);
        assertThat(s.view().read(bar(3), 4)).isEqualTo(0xffffffff);
    }

    @Test
    void sizing_probe_of_128_gib_bar_puts_the_size_in_the_upper_half() {
        Subject s = Subjects.h100();
        s.view().write(bar(2), 4, 0xffffffff);
        s.view().write(bar(3), 4, 0xffffffff);
        assertThat(s.view().read(bar(2), 4)).isEqualTo(0x0000000c);
        assertThat(s.view().read(bar(3), 4)).isEqualTo(0xffffffe0);
        long size = -(((long) s.view().read(bar(3), 4) << 32) | (s.view().read(bar(2), 4) & ~0xfL & 0xffffffffL));
        assertThat(size).isEqualTo(128L << 30);
    }

    @Test
    void unimplemented_bars_read_zero_and_drop_writes() {
        Subject s = Subjects.virtioNet();
        for (int index = 3; index < 6; index++) {
            assertThat(s.view().write(bar(index), 4, 0xffffffff)).isZero();
            assertThat(s.view().read(bar(index), 4)).isZero();
        }
    }

    @Test
    void rom_sizing_probe_keeps_the_enable_bit() {
        Subject s = Subjects.virtioNet();
        s.view().write(PCI_ROM_ADDRESS, 4, 0xfffff800);
        assertThat(s.view().read(PCI_ROM_ADDRESS, 4)).isEqualTo(0xfffc0000);
        int changes = s.view().write(PCI_ROM_ADDRESS, 4, 0xfeb80001);
        assertThat(s.view().read(PCI_ROM_ADDRESS, 4)).isEqualTo(0xfeb80001);
        assertThat(changes).isEqualTo(ConfigChanges.ROM);
        assertThat(s.view().romAddress()).isEqualTo(0xfeb80000L);
        assertThat(s.view().romEnabled()).isTrue();
        assertThat(BarPlacement.isPlaced(BarKind.MEM32, s.view().romAddress(), 256 * 1024)).isTrue();
    }

    @Test
    void a_bar_move_names_the_bar_whose_new_address_the_view_holds() {
        Subject s = Subjects.virtioNet();
        int changes = s.view().write(bar(1), 4, 0xfebd6000);
        assertThat(changes).isEqualTo(ConfigChanges.BAR0 << 1);
        assertThat(s.view().barAddress(1)).isEqualTo(0xfebd6000L);
        assertThat(BarPlacement.isPlaced(BarKind.MEM32, 0xfebd6000L, 4096)).isTrue();
        assertThat(s.view().write(bar(1), 4, 0xfebd6000)).as("same address again").isZero();
    }

    @Test
    void the_sizing_pattern_is_not_a_placement() {
        Subject s = Subjects.virtioNet();
        int changes = s.view().write(bar(1), 4, 0xffffffff);
        assertThat(changes).isEqualTo(ConfigChanges.BAR0 << 1);
        assertThat(s.view().barAddress(1)).isEqualTo(0xfffff000L);
        assertThat(BarPlacement.isPlaced(BarKind.MEM32, 0xfffff000L, 4096)).isFalse();
        changes = s.view().write(bar(0), 4, 0xffffffff);
        assertThat(changes).isEqualTo(ConfigChanges.BAR0);
        assertThat(s.view().barAddress(0)).isEqualTo(0xffffffe0L);
        assertThat(BarPlacement.isPlaced(BarKind.IO, 0xffffffe0L, 32)).isFalse();
    }

    @Test
    void a_64bit_address_joins_both_halves() {
        Subject s = Subjects.h100();
        s.view().write(bar(2), 4, 0x0000000c);
        int changes = s.view().write(bar(3), 4, 0x38a0);
        assertThat(s.view().barAddress(2)).isEqualTo(0x38a0_0000_0000L);
        assertThat(changes).isEqualTo(ConfigChanges.BAR0 << 2);
        assertThat(BarPlacement.isPlaced(BarKind.MEM64, 0x38a0_0000_0000L, 128L << 30)).isTrue();
    }

    @Test
    void bar_writes_never_reach_the_host() {
        Subject s = Subjects.virtioFs();
        byte[] before = s.host().bytes();
        for (int index = 0; index < 6; index++) {
            s.view().write(bar(index), 4, 0x12345678);
            s.view().write(bar(index), 2, 0xffff);
            s.view().write(bar(index) + 1, 1, 0xff);
        }
        s.view().write(PCI_ROM_ADDRESS, 4, 0xffffffff);
        assertThat(s.host().writes).isEmpty();
        assertThat(s.host().bytes()).isEqualTo(before);
    }

    @Test
    void byte_writes_build_an_address_step_by_step() {
        Subject s = Subjects.virtioNet();
        int changes = 0;
        changes |= s.view().write(bar(2) + 2, 1, 0xa0);
        changes |= s.view().write(bar(2) + 3, 1, 0xfe);
        assertThat(s.view().read(bar(2), 4)).isEqualTo(0xfea00000);
        assertThat(ConfigChanges.barMoved(changes, 2)).isTrue();
        // Bits below the BAR's size never stick.
        s.view().write(bar(2) + 1, 1, 0xff);
        assertThat(s.view().read(bar(2), 4)).isEqualTo(0xfea00000);
    }
}
