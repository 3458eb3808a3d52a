package dev.passthru.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.passthru.hypervisor.HypervisorState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ControlPlaneTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static JsonNode args(String... pairs) {
        ObjectNode node = JSON.createObjectNode();
        for (int i = 0; i < pairs.length; i += 2) {
            node.put(pairs[i], pairs[i + 1]);
        }
        return node;
    }

    @Test
    void creates_attaches_detaches_and_says_why_not() throws Exception {
        Path[] configs = ControlRig.write(dir, 2, 3);
        try (ControlPlane plane = ControlPlane.open(dir.resolve("state"))) {
            plane.handle("create", args("config", configs[0].toString()));
            plane.handle("create", args("config", configs[1].toString()));
            JsonNode list = plane.handle("pci-attach", args("vm", "vm0", "spec", ControlRig.function(0, 1) + "@7"));
            assertThat(list.toString()).contains("{\"host\":\"0000:10:01.0\",\"guest\":\"0000:00:07.0\",\"slot\":7}");
            plane.handle("pci-attach", args("vm", "vm1", "spec", ControlRig.function(1, 0)));
            assertThat(plane.handle("list", args()).toString()).contains("\"name\":\"vm0\",\"domain\":1,\"functions\":1")
                    .contains("\"name\":\"vm1\",\"domain\":2,\"functions\":1");
            assertThatThrownBy(() -> plane.handle("pci-attach", args("vm", "vm0", "spec", ControlRig.function(0, 2) + "@7")))
                    .isInstanceOf(ControlError.class).hasMessageContaining("slot 0x07 is taken by 0000:10:01.0");
            assertThatThrownBy(() -> plane.handle("pci-detach", args("vm", "vm0", "bdf", ControlRig.function(0, 2))))
                    .hasMessage("0000:10:02.0 is not attached to vm0");
            assertThatThrownBy(() -> plane.handle("pci-list", args("vm", "vm9"))).hasMessage("no VM named 'vm9' (there are: vm0, vm1)");
            assertThatThrownBy(() -> plane.handle("pci-attach", args("vm", "vm0"))).hasMessage("the request needs \"spec\" as a string");
            assertThatThrownBy(() -> plane.handle("create", args("config", configs[0].toString()))).hasMessage("a VM named 'vm0' exists");
            plane.handle("pci-detach", args("vm", "vm0", "bdf", ControlRig.function(0, 1)));
            assertThat(plane.handle("pci-list", args("vm", "vm0"))).isEmpty();
            plane.handle("destroy", args("vm", "vm1"));
            assertThat(plane.hypervisorState().domains()).extracting(HypervisorState.Domain::id).containsExactly(1);
        }
    }

    @Test
    void a_restart_replays_the_journal_and_a_torn_last_record_is_dropped() throws Exception {
        Path[] configs = ControlRig.write(dir, 1, 3);
        Path state = dir.resolve("state");
        HypervisorState before;
        try (ControlPlane plane = ControlPlane.open(state)) {
            plane.handle("create", args("config", configs[0].toString()));
            plane.handle("pci-assignable-add", args("bdf", ControlRig.function(0, 2)));
            plane.handle("pci-attach", args("vm", "vm0", "spec", ControlRig.function(0, 0)));
            plane.handle("pci-attach", args("vm", "vm0", "spec", ControlRig.function(0, 1)));
            plane.handle("pci-detach", args("vm", "vm0", "bdf", ControlRig.function(0, 0)));
            before = plane.hypervisorState();
        }
        Files.writeString(state.resolve("journal.log"), "0badc0de {\"op\":\"attach\",\"vm\":\"vm0\"", StandardOpenOption.APPEND);
        try (ControlPlane plane = ControlPlane.open(state)) {
            assertThat(plane.recovery().records()).isEqualTo(5);
            assertThat(plane.recovery().tornTail()).isTrue();
            assertThat(plane.recovery().removed()).isZero();
            assertThat(plane.recovery().remade()).isZero();
            assertThat(plane.hypervisorState()).isEqualTo(before);
            assertThat(plane.handle("pci-assignable-list", args()).toString()).isEqualTo("[\"0000:10:02.0\"]");
            plane.handle("pci-attach", args("vm", "vm0", "spec", ControlRig.function(0, 2)));
        }
        try (ControlPlane plane = ControlPlane.open(state)) {
            assertThat(plane.recovery().tornTail()).as("the torn record was cut off before appending").isFalse();
            assertThat(plane.handle("pci-list", args("vm", "vm0")).size()).isEqualTo(2);
        }
    }

    @Test
    void a_folder_of_configs_is_created_once_even_across_restarts() throws Exception {
        ControlRig.write(dir, 2, 1);
        try (ControlPlane plane = ControlPlane.open(dir.resolve("state"))) {
            assertThat(plane.createAll(dir)).containsExactly("vm0", "vm1");
            plane.handle("pci-attach", args("vm", "vm1", "spec", ControlRig.function(1, 0)));
        }
        try (ControlPlane plane = ControlPlane.open(dir.resolve("state"))) {
            assertThat(plane.createAll(dir)).isEmpty();
            assertThat(plane.handle("pci-list", args("vm", "vm1")).get(0).path("slot").asInt()).isEqualTo(6);
        }
    }

    @Test
    void the_hypervisor_is_reconciled_with_the_journal() throws Exception {
        Path[] configs = ControlRig.write(dir, 1, 2);
        Path state = dir.resolve("state");
        try (ControlPlane plane = ControlPlane.open(state)) {
            plane.handle("create", args("config", configs[0].toString()));
            plane.handle("pci-attach", args("vm", "vm0", "spec", ControlRig.function(0, 0)));
        }
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
}
