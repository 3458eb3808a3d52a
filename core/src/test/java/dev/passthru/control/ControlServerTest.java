package dev.passthru.control;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

class ControlServerTest {

    @TempDir
    Path dir;

    @Test
    void fifty_clients_attaching_and_detaching_at_once_leave_the_state_their_successes_say() throws Exception {
        int vms = 10;
        int functions = 5;
        Path[] configs = ControlRig.write(dir, vms, functions);
        Path socket = dir.resolve("control.sock");
        try (ControlPlane plane = ControlPlane.open(dir.resolve("state"));
             ControlServer server = ControlServer.listen(plane, socket, null)) {
            assertThat(server.path()).isEqualTo(socket);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
            try (ControlClient setup = ControlClient.connect(socket)) {
                for (Path config : configs) {
                    assertThat(setup.request("create", Map.of("config", config.toString())).path("ok").asBoolean()).isTrue();
                }
            }
            Map<String, Boolean> attached = new ConcurrentHashMap<>();
            ExecutorService pool = Executors.newFixedThreadPool(50);
            List<Future<?>> clients = new ArrayList<>();
            for (int c = 0; c < vms * functions; c++) {
                int vm = c / functions;
                int function = c % functions;
                int rounds = 6 + (c % 2);
                clients.add(pool.submit(() -> {
                    try (ControlClient client = ControlClient.connect(socket)) {
                        String bdf = ControlRig.function(vm, function);
                        for (int r = 0; r < rounds; r++) {
                            boolean attach = r % 2 == 0;
                            JsonNode reply = attach
                                    ? client.request("pci-attach", Map.of("vm", "vm" + vm, "spec", bdf))
                                    : client.request("pci-detach", Map.of("vm", "vm" + vm, "bdf", bdf));
                            if (reply.path("ok").asBoolean()) {
                                attached.put(bdf, attach);
                            } else {
                                throw new AssertionError(bdf + ": " + reply);
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> client : clients) {
                client.get();
            }
            pool.shutdown();
            Set<String> expected = new TreeSet<>();
            attached.forEach((bdf, on) -> {
                if (on) {
                    expected.add(bdf);
                }
            });
            assertThat(expected).hasSize(25);
            Set<String> listed = new TreeSet<>();
            try (ControlClient check = ControlClient.connect(socket)) {
                for (int v = 0; v < vms; v++) {
                    check.request("pci-list", Map.of("vm", "vm" + v)).path("result").forEach(f -> listed.add(f.path("host").asText()));
                }
            }
            assertThat(listed).isEqualTo(expected);
            Set<String> mapped = new TreeSet<>();
            plane.hypervisorState().domains().forEach(d -> d.p2m().forEach(m -> mapped.add(m.function())));
            assertThat(mapped).isEqualTo(expected);
            assertThat(plane.hypervisorState().assigned().keySet()).isEqualTo(expected);
        }
    }

    @Test
    void a_bad_line_gets_an_error_and_the_connection_stays_usable() throws Exception {
        Path socket = dir.resolve("control.sock");
        try (ControlPlane plane = ControlPlane.open(dir.resolve("state"));
             ControlServer server = ControlServer.listen(plane, socket, null);
             ControlClient client = ControlClient.connect(socket)) {
            assertThat(server.path()).isEqualTo(socket);
            assertThat(client.raw("{\"id\": 1, \"command\":").path("error").path("code").asText()).isEqualTo("bad-json");
            assertThat(client.raw("[1, 2]").path("error").path("message").asText()).isEqualTo("a request is a JSON object");
            assertThat(client.raw("x".repeat(ControlServer.MAX_REQUEST + 10)).path("error").path("code").asText()).isEqualTo("too-large");
            assertThat(client.raw("{\"id\": 2, \"command\": \"destroy\", \"vm\": \"none\"}").toString())
                    .isEqualTo("{\"id\":2,\"ok\":false,\"error\":{\"code\":\"no-such-vm\",\"message\":\"no VM named 'none' (there are: none)\"}}");
            assertThat(client.request("list", Map.of()).toString()).isEqualTo("{\"id\":1,\"ok\":true,\"result\":[]}");
        }
    }

    @Test
    void the_socket_is_renamed_into_place_with_its_mode_and_group_over_a_stale_file_leaving_nothing_beside_it()
            throws Exception {
        Path socket = dir.resolve("run/control.sock");
        Files.createDirectories(socket.getParent());
        Files.writeString(socket, "left by a daemon that died");
        String group = Files.readAttributes(dir, PosixFileAttributes.class).group().getName();
        try (ControlPlane plane = ControlPlane.open(dir.resolve("state"));
             ControlServer server = ControlServer.listen(plane, socket, group);
             ControlClient client = ControlClient.connect(socket)) {
            assertThat(server.path()).isEqualTo(socket);
            assertThat(client.request("list", Map.of()).path("ok").asBoolean()).isTrue();
            PosixFileAttributes attributes = Files.readAttributes(socket, PosixFileAttributes.class);
            assertThat(attributes.isOther()).as("a socket, not the stale file").isTrue();
            assertThat(PosixFilePermissions.toString(attributes.permissions())).isEqualTo("rw-rw----");
            assertThat(attributes.group().getName()).isEqualTo(group);
            try (var entries = Files.list(socket.getParent())) {
                assertThat(entries.map(p -> p.getFileName().toString())).as("no staging folder left").containsExactly("control.sock");
            }
        }
        assertThat(socket).doesNotExist();
    }
}
