package dev.passthru.dump;

import dev.passthru.Fixtures;
import dev.passthru.InputError;
import dev.passthru.host.BarKind;
import dev.passthru.host.BarLayout;
import dev.passthru.host.HostBar;
import dev.passthru.pci.PciAddress;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LspciDumpReaderTest {

    @Test
    void reads_every_function_of_a_whole_board() {
        List<DumpedFunction> functions = LspciDumpReader.read(Fixtures.dump("tree-asus-p6t6.txt"));
        assertThat(functions).hasSize(53);
        assertThat(functions).extracting(f -> f.config().length).containsOnly(256, 4096);
        assertThat(functions).filteredOn(f -> f.config().length == 4096).hasSize(19);
        assertThat(functions.getFirst().address()).isEqualTo(PciAddress.parse("00:00.0"));
        assertThat(functions.getLast().address()).isEqualTo(PciAddress.parse("ff:06.3"));
    }

    @Test
    void takes_bar_and_rom_sizes_from_verbose_lines() {
        DumpedFunction net = Fixtures.function("cap-vendor-virtio.txt", "00:09.0");
        assertThat(net.barSizes()).containsExactlyInAnyOrderEntriesOf(Map.of(0, 32L, 1, 4096L, 2, 512L * 1024));
        assertThat(net.romSize()).isEqualTo(256 * 1024);
        assertThat(net.config()).hasSize(256);
        assertThat(net.description()).isEqualTo("Ethernet controller: Red Hat, Inc Virtio network device");
    }

    @Test
    void a_partial_recording_says_so() {
        DumpedFunction h100 = Fixtures.function("h100-header-partial.txt", "62:00.0");
        assertThat(h100.config()).hasSize(96);
        assertThat(h100.partial()).isTrue();
    }

    @Test
    void domains_are_read_from_titles() {
        DumpedFunction nic = Fixtures.function("cap-ea-1.txt", "0002:01:00.0");
        assertThat(nic.address().domain()).isEqualTo(2);
    }

    @Test
    void bar_kinds_come_from_the_registers_and_sizes_from_the_dump() {
        DumpedFunction fs = Fixtures.function("cap-vendor-virtio.txt", "00:04.0");
        BarLayout layout = DumpBars.layout(fs, Map.of(), null);
        assertThat(layout.bars()).extracting(HostBar::index, HostBar::kind, HostBar::prefetchable, HostBar::size, HostBar::address)
                .containsExactly(
                        tuple(0, BarKind.MEM32, false, 16L * 1024, 0xa0008000L),
                        tuple(2, BarKind.MEM64, true, 1L << 30, 0x200000000L));
    }

    @Test
    void a_bar_with_an_address_but_no_size_says_how_to_give_one() {
        DumpedFunction h100 = Fixtures.function("h100-header-partial.txt", "62:00.0");
        assertThatThrownBy(() -> DumpBars.layout(h100, Map.of(), null))
                .isInstanceOf(InputError.class)
                .hasMessageEndingWith("0000:62:00.0 BAR 0 (64-bit prefetchable memory at 0x38c002000000) "
                        + "has no known size; give it with --bar 0=SIZE");
        BarLayout given = DumpBars.layout(h100, Map.of(0, 32L << 20, 2, 128L << 30, 4, 32L << 20), null);
        assertThat(given.bars()).extracting(HostBar::size).containsExactly(32L << 20, 128L << 30, 32L << 20);
    }

    @Test
    void user_sizes_must_name_real_bars() {
        DumpedFunction net = Fixtures.function("cap-vendor-virtio.txt", "00:09.0");
        assertThatThrownBy(() -> DumpBars.layout(net, Map.of(6, 4096L), null))
                .hasMessageEndingWith("0000:00:09.0 has no BAR 6 (a header of type 0 has 6)");
    }

    @Test
    void a_row_out_of_order_names_the_line() {
        assertThatThrownBy(() -> LspciDumpReader.parse("t.txt", List.of(
                "00:01.0 Device",
                "00: 86 80 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
                "20: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")))
                .isInstanceOf(InputError.class)
                .hasMessage("t.txt:3: expected the row at offset 10, found 20:");
    }

    @Test
    void a_short_row_names_the_line() {
        assertThatThrownBy(() -> LspciDumpReader.parse("t.txt", List.of(
                "00:01.0 Device",
                "00: 86 80 00 00")))
                .hasMessage("t.txt:2: expected 16 hex bytes in the row, found 4");
    }

    @Test
    void a_duplicate_function_names_the_line() {
        String row = "00: 86 80 00 00 00 00 00 00 00 00 00 00 00 00 00 00";
        assertThatThrownBy(() -> LspciDumpReader.parse("t.txt", List.of("00:01.0 A", row, "", "00:01.0 B", row)))
                .hasMessage("t.txt:4: function 0000:00:01.0 appears twice in the dump; this one is left out");
    }

    @Test
    void a_bad_function_is_one_problem_and_the_others_still_read() {
        String row = "00: 86 80 00 00 00 00 00 00 00 00 00 00 00 00 00 00";
        LspciDumpReader.Contents contents = LspciDumpReader.scan("t.txt", List.of(
                "00:01.0 A", row,
                "00:02.0 B", "00: 86 80 zz 00 00 00 00 00 00 00 00 00 00 00 00 00", "10: 00",
                "00:03.0 C", row,
                "00:01.0 D", row,
                "00:04.0 E", row));
        assertThat(contents.functions()).extracting(f -> f.address().shortForm())
                .containsExactly("00:01.0", "00:03.0", "00:04.0");
        assertThat(contents.problems()).containsExactly(
                "t.txt:4: expected a title line 'BB:DD.F description' or a row 'OFF: hh hh ...' of 16 hex bytes, "
                        + "found '00: 86 80 zz 00 00 00 00 00 00 00 00 00 ...'",
                "t.txt:8: function 0000:00:01.0 appears twice in the dump; this one is left out");
    }

    @Test
    void garbage_names_the_line_and_what_was_expected() {
        assertThatThrownBy(() -> LspciDumpReader.parse("t.txt", List.of("hello world")))
                .hasMessageStartingWith("t.txt:1: expected a title line 'BB:DD.F description' or a row");
        assertThatThrownBy(() -> LspciDumpReader.parse("t.txt", List.of("00:01.0 Device")))
                .hasMessage("t.txt:1: function 0000:00:01.0 has no config rows");
        assertThatThrownBy(() -> LspciDumpReader.parse("t.txt", List.of()))
                .hasMessageStartingWith("t.txt: no function in the dump");
    }

    @Test
    void the_writer_writes_what_the_reader_reads() {
        byte[] bytes = new byte[4096];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 7);
        }
        StringBuilder text = new StringBuilder();
        LspciDumpWriter.write(text, PciAddress.parse("0003:02:01.4"), "Test device", bytes);
        DumpedFunction back = LspciDumpReader.parse("w", List.of(text.toString().split("\n"))).getFirst();
        assertThat(back.address()).isEqualTo(PciAddress.parse("0003:02:01.4"));
        assertThat(back.description()).isEqualTo("Test device");
        assertThat(back.config()).isEqualTo(bytes);
        assertThat(text.toString()).contains("\n100: ").contains("\nff0: ");
    }
}
