package dev.passthru.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.passthru.InputError;
import dev.passthru.hypervisor.HypervisorState;
import dev.passthru.pci.PciAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ControlPlaneTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** The request the wire form {@code {"command": command, pairs...}} asks for. */
    static Request request(String command, String... pairs) {
        ObjectNode node = JSON.createObjectNode().put("command", command);
        for (int i = 0; i < pairs.length; i += 2) {
            node.put(pairs[i], pairs[i + 1]);
        }
        return Request.parse(node);
    }

    /** A state folder whose journal made vm0 (with {@code functions} functions) and attached {@code attached}. */
    private Path vm0Attached(int functions, int... attached) throws Exception {
        Path[] configs = ControlRig.write(dir, 1, functions);
        Path state = dir.resolve("state");
        try (ControlPlane plane = ControlPlane.open(state)) {
            plane.handle(request("create", "config", configs[0].toString()));
            for (int f : attached) {
                plane.handle(request("pci-attach", "vm", "vm0", "spec", ControlRig.function(0, f)));
            }
        }
        return state;
    }

    @Test
    void creates_attaches_detaches_and_says_why_not() throws Exception {
        Path[] configs = ControlRig.write(dir, 2, 3);
        try (ControlPlane plane = ControlPlane.open(dir.resolve("state"))) {
            plane.handle(request("create", "config", configs[0].toString()));
            plane.handle(request("create", "config", configs[1].toString()));
            JsonNode list = plane.handle(request("pci-attach", "vm", "vm0", "spec", ControlRig.function(0, 1) + "@7"));
            assertThat(list.toString()).contains("{\"host\":\"0000:10:01.0\",\"guest\":\"0000:00:07.0\",\"slot\":7}");
            plane.handle(request("pci-attach", "vm", "vm1", "spec", ControlRig.function(1, 0)));
            assertThat(plane.handle(request("list")).toString()).contains("\"name\":\"vm0\",\"domain\":1,\"functions\":1")
                    .contains("\"name\":\"vm1\",\"domain\":2,\"functions\":1");
            assertThatThrownBy(() -> plane.handle(request("pci-attach", "vm", "vm0", "spec", ControlRig.function(0, 2) + "@7")))
                    .isInstanceOf(ControlError.class).hasMessageContaining("slot 0x07 is taken by 0000:10:01.0");
            assertThatThrownBy(() -> plane.handle(request("pci-detach", "vm", "vm0", "bdf", ControlRig.function(0, 2))))
                    .hasMessage("0000:10:02.0 is not attached to vm0");
            assertThatThrownBy(() -> plane.handle(request("pci-list", "vm", "vm9"))).hasMessage("no VM named 'vm9' (there are: vm0, vm1)");
            assertThatThrownBy(() -> plane.handle(request("pci-attach", "vm", "vm0"))).hasMessage("the request needs \"spec\" as a string");
            assertThatThrownBy(() -> plane.handle(request("create", "config", configs[0].toString()))).hasMessage("a VM named 'vm0' exists");
            plane.handle(request("pci-detach", "vm", "vm0", "bdf", ControlRig.function(0, 1)));
            assertThat(plane.handle(request("pci-list", "vm", "vm0"))).isEmpty();
            plane.handle(request("destroy", "vm", "vm1"));
            assertThat(plane.hypervisorState().domains()).extracting(HypervisorState.Domain::id).containsExactly(1);
        }
    }

    @Test
    void a_restart_replays_the_journal_and_a_torn_last_record_is_dropped() throws Exception {
        Path[] configs = ControlRig.write(dir, 1, 3);
        Path state = dir.resolve("state");
        HypervisorState before;
        try (ControlPlane plane = ControlPlane.open(state)) {
            plane.handle(request("create", "config", configs[0].toString()));
            plane.handle(request("pci-assignable-add", "bdf", ControlRig.function(0, 2)));
            plane.handle(request("pci-attach", "vm", "vm0", "spec", ControlRig.function(0, 0)));
            plane.handle(request("pci-attach", "vm", "vm0", "spec", ControlRig.function(0, 1)));
            plane.handle(request("pci-detach", "vm", "vm0", "bdf", ControlRig.function(0, 0)));
            before = plane.hypervisorState();
        }
        Files.writeString(state.resolve("journal.log"), "0badc0de {\"op\":\"attach\",\"vm\":\"vm0\"", StandardOpenOption.APPEND);
        try (ControlPlane plane = ControlPlane.open(state)) {
            assertThat(plane.recovery().records()).isEqualTo(5);
            assertThat(plane.recovery().tornTail()).isTrue();
            assertThat(plane.recovery().removed()).isZero();
            assertThat(plane.recovery().remade()).isZero();
            assertThat(plane.hypervisorState()).isEqualTo(before);
            assertThat(plane.handle(request("pci-assignable-list")).toString()).isEqualTo("[\"0000:10:02.0\"]");
            plane.handle(request("pci-attach", "vm", "vm0", "spec", ControlRig.function(0, 2)));
        }
        try (ControlPlane plane = ControlPlane.open(state)) {
            assertThat(plane.recovery().tornTail()).as("the torn record was cut off before appending").isFalse();
            assertThat(plane.handle(request("pci-list", "vm", "vm0")).size()).isEqualTo(2);
        }
    }

    @Test
    void a_folder_of_configs_is_created_once_even_across_restarts() throws Exception {
        ControlRig.write(dir, 2, 1);
        try (ControlPlane plane = ControlPlane.open(dir.resolve("state"))) {
            assertThat(plane.createAll(dir)).containsExactly("vm0", "vm1");
            plane.handle(request("pci-attach", "vm", "vm1", "spec", ControlRig.function(1, 0)));
        }
        try (ControlPlane plane = ControlPlane.open(dir.resolve("state"))) {
            assertThat(plane.createAll(dir)).isEmpty();
            assertThat(plane.handle(request("pci-list", "vm", "vm1")).get(0).path("slot").asInt()).isEqualTo(6);
        }
    }

    @Test
    void the_hypervisor_is_reconciled_with_the_journal() throws Exception {
        Path state = vm0Attached(2, 0);
        ObjectNode held = (ObjectNode) JSON.readTree(state.resolve("hypervisor.json").toFile());
        ObjectNode stray = ((ObjectNode) held.get("domains").get(0).get("p2m").get(0)).deepCopy().put("gfn", "0xdead0");
        ((com.fasterxml.jackson.databind.node.ArrayNode) held.get("domains").get(0).get("p2m")).add(stray);
        ((com.fasterxml.jackson.databind.node.ArrayNode) held.get("domains").get(0).get("msi")).removeAll();
        Files.writeString(state.resolve("hypervisor.json"), held.toString());
        int msi;
        try (ControlPlane plane = ControlPlane.open(state)) {
            msi = plane.hypervisorState().domains().getFirst().msi().size();
            assertThat(plane.recovery().removed()).as("the stray mapping").isEqualTo(1);
            assertThat(plane.recovery().remade()).as("the MSI bindings the file had lost").isEqualTo(msi);
            assertThat(plane.hypervisorState().domains().getFirst().p2m()).noneMatch(m -> m.gfn().equals("0xdead0"));
        }
        assertThat(msi).isPositive();
        assertThat(Files.readString(state.resolve("hypervisor.json"))).doesNotContain("0xdead0");
    }

    @Test
    void a_corrupt_record_in_the_middle_of_the_journal_stops_the_start_and_cuts_nothing() throws Exception {
        Path state = vm0Attached(2, 0, 1);
        Path journal = state.resolve("journal.log");
        List<String> lines = Files.readAllLines(journal);
        long second = lines.getFirst().getBytes(StandardCharsets.UTF_8).length + 1;
        Files.writeString(journal, lines.get(0) + "\n" + lines.get(1).replace("\"vm0\"", "\"vm1\"") + "\n" + lines.get(2) + "\n");
        byte[] damaged = Files.readAllBytes(journal);
        assertThatThrownBy(() -> ControlPlane.open(state)).isInstanceOf(InputError.class)
                .hasMessage(journal + ": the record at byte " + second + " is corrupt (its checksum does not match) and "
                        + (lines.get(2).getBytes(StandardCharsets.UTF_8).length + 1) + " byte(s) of records follow it; a crash "
                        + "tears only the last record, so this is damage: repair the file or move it aside to start");
        assertThat(Files.readAllBytes(journal)).as("nothing cut").isEqualTo(damaged);
    }

    @Test
    void a_whole_record_that_cannot_be_replayed_stops_the_start_naming_its_offset() throws Exception {
        Path state = vm0Attached(1);
        Path journal = state.resolve("journal.log");
        long end = Files.size(journal);
        Files.write(journal, JournalCodec.encode(new JournalRecord.Destroyed("vm9")), StandardOpenOption.APPEND);
        assertThatThrownBy(() -> ControlPlane.open(state)).isInstanceOf(InputError.class).hasMessage(journal
                + ": the record at byte " + end + " cannot be replayed (no VM named 'vm9' (there are: vm0)); the journal "
                + "does not match what made it");
    }

    @Test
    void a_bad_field_gets_one_line_naming_it() {
        assertThatThrownBy(() -> request("pci-attach", "vm", "vm0", "spec", "zz:00.0")).isInstanceOf(ControlError.class)
                .hasMessageStartingWith("bad PCI spec ").hasMessageNotContaining("\n")
                .extracting(e -> ((ControlError) e).code()).isEqualTo("bad-spec");
        assertThatThrownBy(() -> request("pci-detach", "vm", "vm0", "bdf", "3:0")).hasMessageStartingWith("bad function ")
                .extracting(e -> ((ControlError) e).code()).isEqualTo("bad-bdf");
        assertThatThrownBy(() -> Request.parse(JSON.createObjectNode().put("command", "destroy").put("vm", 7)))
                .hasMessage("the request needs \"vm\" as a string");
        assertThatThrownBy(() -> Request.parse(JSON.createObjectNode())).hasMessage("the request needs \"command\" as a string");
        assertThatThrownBy(() -> request("reboot")).hasMessageStartingWith("unknown command 'reboot' (expected create, ")
                .extracting(e -> ((ControlError) e).code()).isEqualTo("unknown-command");
        assertThat(request("pci-detach", "vm", "vm0", "bdf", "03:00.0"))
                .isEqualTo(new Request.PciDetach("vm0", PciAddress.parse("0000:03:00.0")));
    }

    @Test
    void a_state_folder_that_fails_gets_one_line_naming_the_file_and_no_change_is_taken_until_a_restart() throws Exception {
        Path[] configs = ControlRig.write(dir, 1, 2);
        Path state = dir.resolve("state");
        try (ControlPlane plane = ControlPlane.open(state)) {
            plane.handle(request("create", "config", configs[0].toString()));
            Path partial = Files.createDirectories(state.resolve("hypervisor.json.partial"));
            assertThatThrownBy(() -> plane.handle(request("pci-attach", "vm", "vm0", "spec", ControlRig.function(0, 0))))
                    .isInstanceOf(ControlError.class).hasMessage(partial + ": cannot write (Is a directory)")
                    .extracting(e -> ((ControlError) e).code()).isEqualTo("state-folder");
            Files.delete(partial);
            assertThatThrownBy(() -> plane.handle(request("pci-assignable-add", "bdf", ControlRig.function(0, 1))))
                    .hasMessage(partial + ": cannot write (Is a directory); no change is taken until the daemon is restarted");
            assertThat(plane.handle(request("list"))).as("reading still works").hasSize(1);
        }
        try (ControlPlane plane = ControlPlane.open(state)) {
            assertThat(plane.handle(request("pci-list", "vm", "vm0"))).as("the attach was never acknowledged").isEmpty();
            assertThat(plane.recovery().removed()).as("the refused attach's mappings").isZero();
            Path held = state.resolve("hypervisor.json");
            Files.delete(held);
            Files.createDirectories(held.resolve("in-the-way"));
            assertThatThrownBy(() -> plane.handle(request("pci-attach", "vm", "vm0", "spec", ControlRig.function(0, 0))))
                    .hasMessageStartingWith(state.resolve("hypervisor.json.partial") + ": cannot rename to hypervisor.json (")
                    .hasMessageNotContaining("\n");
        }
    }

    @Test
    void a_change_the_hypervisor_file_holds_but_the_journal_lacks_is_removed_and_counted() throws Exception {
        Path state = vm0Attached(2, 0, 1);
        Path journal = state.resolve("journal.log");
        List<String> lines = Files.readAllLines(journal);
        Files.writeString(journal, lines.get(0) + "\n" + lines.get(1) + "\n");
        HypervisorState held = JSON.readValue(state.resolve("hypervisor.json").toFile(), HypervisorState.class);
        try (ControlPlane plane = ControlPlane.open(state)) {
            HypervisorState after = plane.hypervisorState();
            assertThat(plane.recovery().records()).isEqualTo(2);
            assertThat(plane.recovery().tornTail()).isFalse();
            assertThat(after.assigned().keySet()).containsExactly(ControlRig.function(0, 0));
            assertThat(plane.recovery().removed()).as("the entries of the unjournaled attach")
                    .isEqualTo(held.entries() - after.entries()).isPositive();
            assertThat(plane.recovery().remade()).isZero();
        }
    }
}
