package dev.passthru.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passthru.InputError;
import dev.passthru.pci.PciAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The daemon, in its own process, is killed with SIGKILL in the middle of attach/detach storms,
 * after a random count (1 to 40) of changes it has confirmed, and started again each time.
 * Counting confirmed changes rather than waiting a time makes each kill land mid-storm however
 * slow the machine. Each storm client owns one function and keeps what the daemon's replies
 * said of it; every reply must be a success, or the refusal the client asked for on purpose (a
 * detach of a function not attached). After each kill the test reads the files the daemon left,
 * with its own reader: every confirmed change is in the journal, nothing refused is, and the
 * hypervisor's state file agrees except for a change whose reply the kill swallowed. After each
 * restart the daemon's report (records replayed, torn tail, entries removed and made again)
 * must match what the test computed from those files, and the hypervisor must hold exactly what
 * the journal says.
 */
class DaemonCrashTest {

    private static final int KILLS = 6;
    private static final int VMS = 2;
    private static final int FUNCTIONS = 4;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern REPORT = Pattern.compile("passthru daemon: (\\d+) journal record\\(s\\) replayed"
            + "( \\(a torn last record was dropped\\))? in [0-9.]+ ms; hypervisor reconciled: (\\d+) entr(?:y|ies) removed, "
            + "(\\d+) made again; listening on .*");

    @TempDir
    Path dir;

    /** One storm client's function, as the daemon's replies tell it. */
    private static final class Function {
        final String vm;
        final String bdf;
        /** What the daemon last confirmed. */
        volatile boolean attached;
        /** A change is sent and its reply not yet read. */
        volatile boolean pending;
        /** The kill swallowed the reply of a change: the daemon may or may not have made it. */
        volatile boolean lost;
        final AtomicInteger changes = new AtomicInteger();

        Function(String vm, String bdf) {
            this.vm = vm;
            this.bdf = bdf;
        }
    }

    @Test
    void sigkill_during_storms_loses_no_confirmed_change_and_the_restart_reports_what_it_found() throws Exception {
        Path[] configs = ControlRig.write(dir, VMS, FUNCTIONS);
        Path state = dir.resolve("state");
        Path journal = state.resolve("journal.log");
        Path socket = dir.resolve("control.sock");
        Random random = new Random(42);
        Process daemon = start(state, socket, 0);
        try (ControlClient setup = ControlClient.connect(socket)) {
            for (Path config : configs) {
                assertThat(setup.request("create", Map.of("config", config.toString())).path("ok").asBoolean()).isTrue();
            }
        }
        List<Function> functions = new ArrayList<>();
        for (int c = 0; c < VMS * FUNCTIONS; c++) {
            functions.add(new Function("vm" + c / FUNCTIONS, ControlRig.function(c / FUNCTIONS, c % FUNCTIONS)));
        }
        int records = lines(journal);
        assertThat(records).as("the creates").isEqualTo(VMS);
        for (int kill = 1; kill <= KILLS; kill++) {
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicBoolean killed = new AtomicBoolean();
            AtomicInteger confirmed = new AtomicInteger();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            List<Thread> storm = new ArrayList<>();
            for (Function f : functions) {
                f.lost = false;
                f.pending = false;
                f.changes.set(0);
                storm.add(Thread.ofPlatform().start(() -> storm(socket, f, running, killed, confirmed, failures)));
            }
            int changes = 1 + random.nextInt(40);
            long limit = System.nanoTime() + 60_000_000_000L;
            while (confirmed.get() < changes && failures.isEmpty()) {
                assertThat(System.nanoTime()).as("kill %d: the daemon confirmed %d changes within a minute", kill, changes)
                        .isLessThan(limit);
                Thread.sleep(1);
            }
            killed.set(true);
            daemon.destroyForcibly().waitFor();
            running.set(false);
            for (Thread t : storm) {
                t.join(5000);
                assertThat(t.isAlive()).as("kill %d: a storm client still waits", kill).isFalse();
            }
            assertThat(failures).as("kill %d: replies other than success or the refusal asked for", kill).isEmpty();

            Map<String, Boolean> journaled = attachedByJournal(journal);
            Set<String> heldMapped = mapped(state.resolve("hypervisor.json"));
            int applied = 0;
            for (Function f : functions) {
                boolean inJournal = journaled.getOrDefault(f.bdf, false);
                if (f.lost) {
                    applied += inJournal == f.attached ? 0 : 1;
                } else {
                    assertThat(inJournal).as("kill %d: %s as the daemon confirmed, in the journal", kill, f.bdf)
                            .isEqualTo(f.attached);
                    assertThat(heldMapped.contains(f.bdf)).as("kill %d: %s as the daemon confirmed, in the hypervisor's file",
                            kill, f.bdf).isEqualTo(f.attached);
                }
            }
            int confirmedChanges = functions.stream().mapToInt(f -> f.changes.get()).sum();
            int onDisk = lines(journal);
            assertThat(onDisk).as("kill %d: one record per confirmed change, none per refusal, and at most one per "
                    + "swallowed reply", kill).isEqualTo(records + confirmedChanges + applied);
            boolean torn = endsTorn(journal);
            Set<String> held = entries(state.resolve("hypervisor.json"));

            daemon = start(state, socket, kill);
            Matcher report = report(dir.resolve("daemon-" + kill + ".log"));
            Set<String> after = entries(state.resolve("hypervisor.json"));
            assertThat(Integer.parseInt(report.group(1))).as("kill %d: records replayed", kill).isEqualTo(onDisk);
            assertThat(report.group(2) != null).as("kill %d: torn tail reported", kill).isEqualTo(torn);
            assertThat(Integer.parseInt(report.group(3))).as("kill %d: entries removed", kill).isEqualTo(minus(held, after).size());
            assertThat(Integer.parseInt(report.group(4))).as("kill %d: entries made again", kill).isEqualTo(minus(after, held).size());
            System.out.println("kill " + kill + ": " + report.group());
            records = onDisk;

            Set<String> expected = new TreeSet<>();
            journaled.forEach((bdf, on) -> {
                if (on) {
                    expected.add(bdf);
                }
            });
            JsonNode file = JSON.readTree(state.resolve("hypervisor.json").toFile());
            Set<String> assigned = new TreeSet<>();
            file.get("assigned").fieldNames().forEachRemaining(assigned::add);
            assertThat(mapped(state.resolve("hypervisor.json"))).as("kill %d: functions with mappings", kill).isEqualTo(expected);
            assertThat(assigned).as("kill %d: functions assigned", kill).isEqualTo(expected);
            assertThat(listed(socket)).as("kill %d: what the restarted daemon lists", kill).isEqualTo(expected);
            for (Function f : functions) {
                f.attached = expected.contains(f.bdf);
            }
        }
        daemon.destroyForcibly().waitFor();
    }

    /**
     * Toggles {@code f} until told to stop; when it is detached, every third round first asks to
     * detach it again, which must be refused as not attached and change nothing.
     */
    private static void storm(Path socket, Function f, AtomicBoolean running, AtomicBoolean killed, AtomicInteger confirmed,
                              ConcurrentLinkedQueue<String> failures) {
        try (ControlClient client = ControlClient.connect(socket)) {
            for (int round = 0; running.get(); round++) {
                if (!f.attached && round % 3 == 0) {
                    JsonNode refusal = client.request("pci-detach", Map.of("vm", f.vm, "bdf", f.bdf));
                    if (refusal.path("ok").asBoolean() || !refusal.path("error").path("code").asText().equals("not-attached")) {
                        failures.add(f.bdf + ": detach of a detached function: " + refusal);
                    }
                }
                boolean attach = !f.attached;
                f.pending = true;
                JsonNode reply = attach ? client.request("pci-attach", Map.of("vm", f.vm, "spec", f.bdf))
                        : client.request("pci-detach", Map.of("vm", f.vm, "bdf", f.bdf));
                f.pending = false;
                if (!reply.path("ok").asBoolean()) {
                    failures.add(f.bdf + ": " + (attach ? "attach" : "detach") + ": " + reply);
                    return;
                }
                f.attached = attach;
                f.changes.incrementAndGet();
                confirmed.incrementAndGet();
            }
        } catch (InputError e) {
            if (!killed.get()) {
                failures.add(f.bdf + ": " + e.getMessage());
            }
            f.lost = f.pending;
        }
    }

    /** The journal's complete lines: what a restart replays when nothing is damaged. */
    private static int lines(Path journal) throws Exception {
        byte[] bytes = Files.readAllBytes(journal);
        int lines = 0;
        for (byte b : bytes) {
            lines += b == '\n' ? 1 : 0;
        }
        return lines;
    }

    private static boolean endsTorn(Path journal) throws Exception {
        byte[] bytes = Files.readAllBytes(journal);
        return bytes.length > 0 && bytes[bytes.length - 1] != '\n';
    }

    /** Which functions the journal's complete lines leave attached, read without the daemon's code. */
    private static Map<String, Boolean> attachedByJournal(Path journal) throws Exception {
        Map<String, Boolean> attached = new HashMap<>();
        for (String line : Files.readString(journal, StandardCharsets.UTF_8).split("\n")) {
            if (line.isEmpty() || line.indexOf(' ') != 8) {
                continue;
            }
            JsonNode record = JSON.readTree(line.substring(9));
            switch (record.get("op").asText()) {
                case "attach" -> attached.put(PciAddress.parse(record.get("spec").asText().split("[@,]")[0]).toString(), true);
                case "detach" -> attached.put(record.get("bdf").asText(), false);
                default -> { }
            }
        }
        return attached;
    }

    private static Set<String> mapped(Path hypervisor) throws Exception {
        Set<String> mapped = new TreeSet<>();
        JSON.readTree(hypervisor.toFile()).get("domains").forEach(d -> d.get("p2m").forEach(m -> mapped.add(m.get("function").asText())));
        return mapped;
    }

    /** Every entry of every table of the hypervisor's state file, each named by its domain and table. */
    private static Set<String> entries(Path hypervisor) throws Exception {
        JsonNode file = JSON.readTree(hypervisor.toFile());
        Set<String> entries = new HashSet<>();
        file.get("assigned").properties().forEach(e -> entries.add("assigned " + e.getKey() + "=" + e.getValue()));
        for (JsonNode domain : file.get("domains")) {
            domain.properties().forEach(table -> {
                if (table.getValue().isArray()) {
                    table.getValue().forEach(row -> entries.add(domain.get("id") + " " + table.getKey() + " " + row));
                }
            });
        }
        return entries;
    }

    private static Set<String> minus(Set<String> a, Set<String> b) {
        Set<String> out = new HashSet<>(a);
        out.removeAll(b);
        return out;
    }

    private static Set<String> listed(Path socket) {
        Set<String> listed = new TreeSet<>();
        try (ControlClient client = ControlClient.connect(socket)) {
            for (int v = 0; v < VMS; v++) {
                JsonNode reply = client.request("pci-list", Map.of("vm", "vm" + v));
                assertThat(reply.path("ok").asBoolean()).as("pci-list vm%d: %s", v, reply).isTrue();
                reply.path("result").forEach(f -> listed.add(f.path("host").asText()));
            }
        }
        return listed;
    }

    /** The restarted daemon's report line, which it prints just after it starts listening. */
    private static Matcher report(Path log) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            Optional<Matcher> found = Files.readAllLines(log).stream().map(REPORT::matcher).filter(Matcher::matches).findFirst();
            if (found.isPresent()) {
                return found.get();
            }
            assertThat(System.nanoTime()).as("%s: the daemon's report line", log).isLessThan(deadline);
            Thread.sleep(20);
        }
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
