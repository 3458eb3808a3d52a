package dev.passthru.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.passthru.control.ControlClient;
import dev.passthru.control.ControlPlane;
import dev.passthru.control.ControlServer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;

/**
 * The control plane's figures: requests per second over the control socket for pci-list and for
 * attach+detach pairs, one client, the daemon in this process; and how long opening the state
 * takes with 1,000 journal records (replay and reconcile). Run through
 * {@code bench/scripts/control-figures.sh}.
 */
public final class ControlFigures {

    private ControlFigures() {
    }

    // the server, and the plane whose opening is timed, need only be open for their block, never named in it
    @SuppressWarnings("try")
    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("passthru-control-");
        Path profiles = Files.createDirectories(dir.resolve("profiles"));
        try (InputStream in = ControlFigures.class.getResourceAsStream("/six-bars-64-vectors.json")) {
            Files.write(profiles.resolve("six.json"), in.readAllBytes());
        }
        Path config = dir.resolve("vm.cfg");
        Files.writeString(config, "name = \"bench\"\nmemory = 1024\npassthru_sources = [ 'profiles:" + profiles + "' ]\n",
                StandardCharsets.UTF_8);
        Path state = dir.resolve("state");
        Path socket = dir.resolve("control.sock");
        try (ControlPlane plane = ControlPlane.open(state);
             ControlServer server = ControlServer.listen(plane, socket, null);
             ControlClient client = ControlClient.connect(socket)) {
            check(client.request("create", Map.of("config", config.toString())));
            check(client.request("pci-assignable-add", Map.of("bdf", "05:00.0")));
            check(client.request("pci-attach", Map.of("vm", "bench", "spec", "05:00.0")));
            for (int i = 0; i < 2000; i++) {
                client.request("pci-list", Map.of("vm", "bench"));
            }
            int lists = 20_000;
            long t0 = System.nanoTime();
            for (int i = 0; i < lists; i++) {
                client.request("pci-list", Map.of("vm", "bench"));
            }
            long t1 = System.nanoTime();
            check(client.request("pci-detach", Map.of("vm", "bench", "bdf", "05:00.0")));
            int pairs = 498;
            long t2 = System.nanoTime();
            for (int i = 0; i < pairs; i++) {
                check(client.request("pci-attach", Map.of("vm", "bench", "spec", "05:00.0")));
                check(client.request("pci-detach", Map.of("vm", "bench", "bdf", "05:00.0")));
            }
            long t3 = System.nanoTime();
            System.out.printf("pci-list over the socket: %,.0f requests/s (%,d requests, one client)%n",
                    lists / ((t1 - t0) / 1e9), lists);
            System.out.printf("pci-attach + pci-detach: %,.0f pairs/s, %.2f ms a pair (%d pairs; each change journaled "
                    + "and forced to disk, the hypervisor's state file rewritten)%n", pairs / ((t3 - t2) / 1e9),
                    (t3 - t2) / 1e6 / pairs, pairs);
        }
        long records = Files.readAllLines(state.resolve("journal.log")).size();
        long[] opens = new long[5];
        for (int i = 0; i < opens.length; i++) {
            long start = System.nanoTime();
            try (ControlPlane plane = ControlPlane.open(state)) {
                opens[i] = System.nanoTime() - start;
            }
        }
        Arrays.sort(opens);
        System.out.printf("restart with %d journal records (replay + reconcile): median %.0f ms (min %.0f, max %.0f, 5 opens)%n",
                records, opens[2] / 1e6, opens[0] / 1e6, opens[4] / 1e6);
        delete(dir);
    }

    private static void check(JsonNode reply) {
        if (!reply.path("ok").asBoolean()) {
            throw new IllegalStateException(reply.toString());
        }
    }

    private static void delete(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
