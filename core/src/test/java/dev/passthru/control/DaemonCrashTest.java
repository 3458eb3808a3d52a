package dev.passthru.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passthru.InputError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The daemon, in its own process, is killed with SIGKILL in the middle of attach/detach storms,
 * after a random count (1 to 40) of changes it has confirmed, and started again each time.
 * Counting confirmed changes rather than waiting a time makes each kill land mid-storm however
 * slow the machine. After every restart, the hypervisor's state file holds exactly the mappings
 * of the functions that the journal says are attached, and nothing else.
 */
class DaemonCrashTest {

    private static final int KILLS = 6;

    @TempDir
    Path dir;

    @Test
    void sigkill_during_storms_leaves_the_hypervisor_exactly_as_the_journal_says() throws Exception {
        Path[] configs = ControlRig.write(dir, 2, 4);
        Path state = dir.resolve("state");
        Path socket = dir.resolve("control.sock");
        Random random = new Random(42);
        Process daemon = start(state, socket, 0);
        try (ControlClient setup = ControlClient.connect(socket)) {
            for (Path config : configs) {
                setup.request("create", Map.of("config", config.toString()));
            }
        }
        int records = Journal.read(state.resolve("journal.log")).records().size();
        for (int kill = 1; kill <= KILLS; kill++) {
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger confirmed = new AtomicInteger();
            List<Thread> storm = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                int vm = c / 4;
                String bdf = ControlRig.function(vm, c % 4);
                storm.add(Thread.ofPlatform().start(() -> {
                    try (ControlClient client = ControlClient.connect(socket)) {
                        for (int r = 0; running.get(); r++) {
                            JsonNode reply = r % 2 == 0 ? client.request("pci-attach", Map.of("vm", "vm" + vm, "spec", bdf))
                                    : client.request("pci-detach", Map.of("vm", "vm" + vm, "bdf", bdf));
                            if (reply.path("ok").asBoolean()) {
                                confirmed.incrementAndGet();
                            }
                        }
                    } catch (InputError e) {
                        // the daemon died under us: what this test is about
                    }
                }));
            }
            int changes = 1 + random.nextInt(40);
            long limit = System.nanoTime() + 60_000_000_000L;
            while (confirmed.get() < changes) {
                assertThat(System.nanoTime()).as("kill %d: the daemon confirmed %d changes within a minute", kill, changes)
                        .isLessThan(limit);
                Thread.sleep(1);
            }
            daemon.destroyForcibly().waitFor();
            running.set(false);
            for (Thread t : storm) {
                t.join(5000);
            }
            daemon = start(state, socket, kill);
            int now = Journal.read(state.resolve("journal.log")).records().size();
            assertThat(now).as("kill %d came after some changes", kill).isGreaterThan(records);
            records = now;
            System.out.println("kill " + kill + ": " + Files.readAllLines(dir.resolve("daemon-" + kill + ".log")).stream()
                    .filter(l -> l.contains("reconciled")).findFirst().orElse("(no report)"));
            Set<String> journaled = attachedByJournal(state.resolve("journal.log"));
            Set<String> mapped = new TreeSet<>();
            Set<String> assigned = new TreeSet<>();
            JsonNode held = new ObjectMapper().readTree(state.resolve("hypervisor.json").toFile());
            held.get("domains").forEach(d -> d.get("p2m").forEach(m -> mapped.add(m.get("function").asText())));
            held.get("assigned").fieldNames().forEachRemaining(assigned::add);
            assertThat(mapped).as("kill %d: functions with mappings", kill).isEqualTo(journaled);
            assertThat(assigned).as("kill %d: functions assigned", kill).isEqualTo(journaled);
        }
        daemon.destroyForcibly().waitFor();
    }

    /** Which functions the journal's good records leave attached. */
    private static Set<String> attachedByJournal(Path journal) {
        Map<String, Set<String>> byVm = new HashMap<>();
        for (JsonNode record : Journal.read(journal).records()) {
            switch (record.get("op").asText()) {
                case "create" -> byVm.put(record.get("text").asText().lines().filter(l -> l.startsWith("name"))
                        .findFirst().orElseThrow().replaceAll(".*\"(.*)\".*", "$1"), new TreeSet<>());
                case "attach" -> byVm.get(record.get("vm").asText()).add(dev.passthru.pci.PciAddress.parse(
                        record.get("spec").asText().split("[@,]")[0]).toString());
                case "detach" -> byVm.get(record.get("vm").asText()).remove(record.get("bdf").asText());
                default -> { }
            }
        }
        Set<String> all = new TreeSet<>();
        byVm.values().forEach(all::addAll);
        return all;
    }

    private Process start(Path state, Path socket, int run) throws Exception {
        Files.deleteIfExists(socket);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), "dev.passthru.cli.Main", "daemon", "--state-dir", state.toString(),
                "--socket", socket.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("daemon-" + run + ".log").toFile()).start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.exists(socket)) {
                try (ControlClient probe = ControlClient.connect(socket)) {
                    if (probe.request("list", Map.of()).path("ok").asBoolean()) {
                        return process;
                    }
                } catch (InputError e) {
                    // not listening yet
                }
            }
            if (!process.isAlive()) {
                throw new AssertionError("the daemon exited: " + Files.readString(dir.resolve("daemon-" + run + ".log")));
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the daemon did not start: " + new File(dir.toFile(), "daemon-" + run + ".log"));
    }
}
