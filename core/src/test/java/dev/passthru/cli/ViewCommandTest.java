package dev.passthru.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passthru.Fixtures;
import dev.passthru.dump.DumpedFunction;
import dev.passthru.dump.LspciDumpReader;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ViewCommandTest {

    private static String virtio() {
        return Fixtures.dump("cap-vendor-virtio.txt").toString();
    }

    @Test
    void summary_lists_bars_and_what_is_kept_or_hidden() {
        Cli cli = Cli.run("view", Fixtures.dump("cap-pcie-2.txt").toString(),
                "--bar", "0=128K", "--bar", "1=4M", "--bar", "2=32", "--bar", "3=16K", "--rom", "4M");
        assertThat(cli.status()).as(cli.err()).isZero();
        assertThat(cli.out())
                .contains("0000:01:00.0 Ethernet controller")
                .contains("BAR 2: I/O ports [size=32]")
                .containsPattern("\\[50\\] MSI +kept")
                .containsPattern("\\[160 v1\\] Single Root I/O Virtualization \\(SR-IOV\\) +hidden");
    }

    @Test
    void writes_print_their_effects() {
        Cli cli = Cli.run("view", virtio(), "-s", "00:09.0", "--write", "14.l=febd6000", "--write", "04.w=0002");
        assertThat(cli.out())
                .contains("write 14.l=febd6000: BAR 1 (32-bit memory, 4K) placed at 0xfebd6000")
                .contains("write 04.w=0002: memory decode on, I/O decode off");
    }

    @Test
    void the_dump_form_reads_back_as_the_guest_view() {
        Cli cli = Cli.run("view", virtio(), "-s", "00:04.0", "-xxx", "--write", "10.l=a0008000");
        assertThat(cli.status()).isZero();
        List<DumpedFunction> back = LspciDumpReader.parse("out", cli.out().lines().toList());
        assertThat(back).hasSize(1);
        byte[] config = back.getFirst().config();
        assertThat(config).hasSize(256);
        assertThat(config[0x10] & 0xff).isZero();
        assertThat(config[0x12] & 0xff).isZero();
        assertThat(config[0x13] & 0xff).isEqualTo(0xa0);
    }

    @Test
    void json_describes_each_capability() throws Exception {
        Cli cli = Cli.run("view", virtio(), "-s", "00:09.0", "--json");
        JsonNode doc = new ObjectMapper().readTree(cli.out());
        assertThat(doc.get("address").asText()).isEqualTo("0000:00:09.0");
        assertThat(doc.get("capabilities")).hasSize(5);
        assertThat(doc.get("capabilities").get(0).get("name").asText()).isEqualTo("MSI-X");
        assertThat(doc.get("config").asText()).hasSize(512).startsWith("f41a0010");
    }

    @Test
    void a_bar_without_a_size_says_how_to_give_one() {
        Cli cli = Cli.run("view", Fixtures.dump("h100-header-partial.txt").toString());
        assertThat(cli.status()).isEqualTo(2);
        assertThat(cli.err().lines()).singleElement().asString()
                .endsWith("BAR 0 (64-bit prefetchable memory at 0x38c002000000) has no known size; give it with --bar 0=SIZE");
    }

    @Test
    void bad_input_gets_one_line_each() {
        assertThat(Cli.run("view", "/nonexistent/dump.txt").err().lines())
                .singleElement().asString().startsWith("passthru: /nonexistent/dump.txt: cannot read");
        assertThat(Cli.run("view", virtio(), "-s", "00:07.0").err())
                .contains("no function 0000:00:07.0 (the dump has 00:09.0, 00:04.0)");
        assertThat(Cli.run("view", virtio(), "--write", "04.q=1").err())
                .contains("\"04.q=1\", column 4: expected a width b (byte), w (word) or l (dword)");
        assertThat(Cli.run("view", virtio(), "--bar", "0=3x").err())
                .contains("bad --bar 0 size \"3x\", column 2: expected a unit");
    }
}
