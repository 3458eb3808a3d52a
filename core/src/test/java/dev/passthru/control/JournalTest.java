package dev.passthru.control;

import dev.passthru.InputError;
import dev.passthru.pci.PciAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JournalTest {

    private static final List<JournalRecord> ONE_OF_EACH = List.of(
            new JournalRecord.Created(Path.of("/etc/vms/web.cfg"), "name = \"web\"\n", 3),
            new JournalRecord.Attached("web", "03:00.0@6,msitranslate=1", 6),
            new JournalRecord.Detached("web", PciAddress.parse("0000:03:00.0")),
            new JournalRecord.AssignableAdded(PciAddress.parse("0000:04:00.1")),
            new JournalRecord.AssignableRemoved(PciAddress.parse("0000:04:00.1")),
            new JournalRecord.Destroyed("web"));

    @TempDir
    Path dir;

    private Path write(List<JournalRecord> records) {
        Path file = dir.resolve("journal.log");
        try (Journal journal = Journal.append(file, 0)) {
            records.forEach(journal::write);
        }
        return file;
    }

    /** A line with a good checksum over {@code json}, as the journal would frame it. */
    private static String framed(String json) {
        CRC32C crc = new CRC32C();
        crc.update(json.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().toHexDigits((int) crc.getValue()) + " " + json + "\n";
    }

    @Test
    void every_kind_of_record_reads_back_as_written_with_its_offset() throws Exception {
        Path file = write(ONE_OF_EACH);
        Journal.Contents contents = Journal.read(file);
        assertThat(contents.records()).extracting(Journal.Entry::record).isEqualTo(ONE_OF_EACH);
        List<String> lines = Files.readAllLines(file);
        long offset = 0;
        for (int i = 0; i < lines.size(); i++) {
            assertThat(contents.records().get(i).offset()).isEqualTo(offset);
            offset += lines.get(i).getBytes(StandardCharsets.UTF_8).length + 1;
        }
        assertThat(contents.tornTail()).isFalse();
        assertThat(contents.goodBytes()).isEqualTo(Files.size(file)).isEqualTo(offset);
    }

    @Test
    void an_incomplete_last_record_is_a_torn_tail_and_is_cut_on_append() throws Exception {
        Path file = write(ONE_OF_EACH.subList(0, 2));
        long good = Files.size(file);
        Files.write(file, new String(JournalCodec.encode(ONE_OF_EACH.get(2)), StandardCharsets.UTF_8).substring(0, 20)
                .getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        Journal.Contents contents = Journal.read(file);
        assertThat(contents.records()).hasSize(2);
        assertThat(contents.tornTail()).isTrue();
        assertThat(contents.goodBytes()).isEqualTo(good);
        Journal.append(file, contents.goodBytes()).close();
        assertThat(Files.size(file)).isEqualTo(good);
    }

    @Test
    void a_whole_last_line_whose_checksum_does_not_match_is_a_torn_tail() throws Exception {
        Path file = write(ONE_OF_EACH.subList(0, 2));
        Files.writeString(file, "0badc0de {\"op\":\"destroy\",\"vm\":\"web\"}\n", StandardOpenOption.APPEND);
        Journal.Contents contents = Journal.read(file);
        assertThat(contents.records()).hasSize(2);
        assertThat(contents.tornTail()).isTrue();
    }

    @Test
    void a_bad_checksum_in_the_middle_stops_the_read_naming_the_offset_and_changes_nothing() throws Exception {
        Path file = write(ONE_OF_EACH);
        byte[] bytes = Files.readAllBytes(file);
        long second = Files.readAllLines(file).getFirst().getBytes(StandardCharsets.UTF_8).length + 1;
        bytes[(int) second + 20] ^= 0x01;
        Files.write(file, bytes);
        assertThatThrownBy(() -> Journal.read(file)).isInstanceOf(InputError.class)
                .hasMessageStartingWith(file + ": the record at byte " + second + " is corrupt (its checksum does not match) and ")
                .hasMessageNotContaining("\n");
        assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
    }

    @Test
    void a_whole_line_that_is_no_record_is_damage_even_at_the_end() throws Exception {
        Path file = write(ONE_OF_EACH.subList(0, 1));
        long second = Files.size(file);
        Files.writeString(file, framed("{\"op\":\"rename\",\"vm\":\"web\"}"), StandardOpenOption.APPEND);
        assertThatThrownBy(() -> Journal.read(file))
                .hasMessageStartingWith(file + ": the record at byte " + second + " is corrupt (unknown kind 'rename');");
        Path badSpec = write(ONE_OF_EACH.subList(0, 1));
        Files.writeString(badSpec, framed("{\"op\":\"attach\",\"vm\":\"web\",\"spec\":\"zz:00.0\"}"), StandardOpenOption.APPEND);
        assertThatThrownBy(() -> Journal.read(badSpec)).hasMessageContaining("is corrupt (\"spec\" is not a PCI spec: ");
    }
}
