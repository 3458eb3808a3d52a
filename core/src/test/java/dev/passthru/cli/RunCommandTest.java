package dev.passthru.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passthru.Lspci;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class RunCommandTest {

    @TempDir
    Path dir;

    @Test
    void runs_the_workstation_example_every_function_attached_and_enumerated() {
        Cli cli = Cli.run("run", "../examples/vms/workstation.cfg");
        assertThat(cli.status()).as(cli.err()).isZero();
        assertThat(cli.out()).startsWith("VM workstation: 8192 MiB, 7 function(s) attached (passed over: vcpus)")
                .contains("0000:09:00.0 (line 16, '09:00.0@6') -> 00:06.0, hot-plug slot 0x06\n")
                .contains("0000:00:1a.7 (line 18, '00:1a.*') -> 00:08.7, hot-plug slot 0x08\n")
                .contains("\tRegion 2: 64-bit prefetchable memory at 0x")
                .contains("[size=128G]")
                .contains(", 128 x 1G (0000:62:00.0)\n")
                .contains("Guest driver: MSI-X, 4 of 64 vectors")
                .contains("Slot table (vslots): 0000:09:00.0=0x6; 0000:62:00.0=0x7; 0000:00:1a.0=0x8; 0000:00:1a.1=0x8; "
                        + "0000:00:1a.2=0x8; 0000:00:1a.7=0x8; 0000:05:00.0=0x9;");
    }

    @Test
    void json_holds_the_same_and_the_dump_is_what_lspci_decodes() throws Exception {
        Path dump = dir.resolve("guest.txt");
        Cli cli = Cli.run("run", "../examples/vms/server.cfg", "--json", "--dump", dump.toString());
        assertThat(cli.status()).as(cli.err()).isZero();
        JsonNode doc = new ObjectMapper().readTree(cli.out());
        assertThat(doc.get("functions")).hasSize(3);
        JsonNode pinned = doc.get("functions").get(1);
        assertThat(pinned.get("host").asText()).isEqualTo("0000:05:00.0");
        assertThat(pinned.get("slot").asInt()).isEqualTo(8);
        assertThat(doc.get("vslots").toString()).contains("{\"host\":\"0000:05:00.0\",\"slot\":8}");
        assertThat(doc.get("hypervisor").get("domains").get(0).get("msi").size())
                .as("4 MSI-X vectors each for the NIC and the six-BAR function, all 3 of the virtio function").isEqualTo(11);
        Lspci.assumeInstalled();
        Map<String, Lspci.Entry> seen = Lspci.byFunction(Lspci.run("-F", dump.toString(), "-vv"));
        assertThat(seen).containsOnlyKeys("00:06.0", "00:08.0", "00:07.0");
        assertThat(seen.get("00:08.0").lines()).anyMatch(l -> l.contains("MSI-X: Enable+ Count=64 Masked-"));
    }

    @Test
    void slots_are_hot_unplugged_and_hot_plugged_after_boot_and_the_guest_enumerates_the_new_one() {
        Cli cli = Cli.run("run", "../examples/vms/server.cfg", "--then", "unplug:8", "--then", "plug:05:00.0@9");
        assertThat(cli.status()).as(cli.err()).isZero();
        assertThat(cli.out()).startsWith("VM server: 4096 MiB, 3 function(s) attached")
                .contains("hot-unplug slot 0x08: 0000:05:00.0 detached\n")
                .contains("hot-plug plug:05:00.0@9: 0000:05:00.0 into slot 0x09, enumerated by the guest\n")
                .contains("0000:05:00.0 (line 0, 'plug:05:00.0@9') -> 00:09.0, hot-plug slot 0x09\n")
                .contains("Slot table (vslots): 0000:01:00.0=0x6; 0000:00:03.0=0x7; 0000:05:00.0=0x9;");
        // the guest view's title line; its class name comes from pci.ids where the machine has it
        int title = cli.out().indexOf("\n00:09.0 ");
        assertThat(title).as("the hot-plugged function's guest view in %s", cli.out()).isNotNegative();
        String hotPlugged = cli.out().substring(title);
        assertThat(hotPlugged).contains("\tGuest driver: MSI-X, 4 of 64 vectors");
        Cli bad = Cli.run("run", "../examples/vms/server.cfg", "--then", "replug:8");
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err()).isEqualTo("passthru: bad action 'replug:8': expected plug:SPEC, unplug:SLOT, poke:SLOT:BAR:OFFSET=VALUE or config:SLOT:OFF.W=VALUE\n");
        Cli refused = Cli.run("run", "../examples/vms/server.cfg", "--then", "unplug:0x10");
        assertThat(refused.status()).isEqualTo(2);
        assertThat(refused.err()).isEqualTo("passthru: slot 0x10 is empty\n");
    }

    @Test
    void a_bad_config_is_status_2_with_its_line() throws Exception {
        Path cfg = dir.resolve("bad.cfg");
        Files.writeString(cfg, "name = 'x'\npci = [ '03:00.0@40' ]\n");
        Cli cli = Cli.run("run", cfg.toString());
        assertThat(cli.status()).isEqualTo(2);
        assertThat(cli.err()).startsWith("passthru: " + cfg + ":2: pci: bad PCI spec \"03:00.0@40\"");
    }

    @Test
    void functions_that_cannot_attach_are_reported_each_with_its_reason_and_status_1() throws Exception {
        Path cfg = dir.resolve("clash.cfg");
        Path profiles = Path.of("../examples/profiles/workstation").toAbsolutePath();
        Files.writeString(cfg, """
                name = "clash"
                pci = [ '09:00.0', '01:00.0,seize=1', '01:00.0', '7f:00.0', '62:00.0@3' ]
                passthru_sources = [ 'profiles:%s' ]
                """.formatted(profiles));
        Cli cli = Cli.run("run", cfg.toString());
        assertThat(cli.status()).isEqualTo(1);
        assertThat(cli.out()).contains("0000:01:00.0 (line 2, '01:00.0,seize=1') not attached: its BAR 0 at 0xe0800000 "
                        + "overlaps BAR 0 of 0000:09:00.0: the recordings come from different machines")
                .contains("0000:7f:00.0 (line 2, '7f:00.0') not attached: not among the host functions read (profiles ")
                .contains("0000:62:00.0 (line 2, '62:00.0@3') not attached: 0000:62:00.0@3: slot 0x03 is not a hot-plug slot "
                        + "(those are 0x06-0x1f)")
                .contains("0000:09:00.0 (line 2, '09:00.0') -> 00:06.0, hot-plug slot 0x06");
    }
}
