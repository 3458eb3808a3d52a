package dev.passthru.security;

import dev.passthru.InputError;
import dev.passthru.device.DeviceRig;
import dev.passthru.device.Placement;
import dev.passthru.dump.LspciDumpReader;
import dev.passthru.host.profile.ProfileReader;
import dev.passthru.os.FakeUnixSockets;
import dev.passthru.qemu.DeviceProxyTarget;
import dev.passthru.qemu.ProxyConnection;
import dev.passthru.spec.SpecParser;
import dev.passthru.spec.SpecSyntax;
import dev.passthru.vm.VmConfigReader;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Every parser of user input takes a corpus of malformed inputs (truncated, oversized, wrong
 * types, huge numbers, non-ASCII, empty) and answers each with its own error type and one line;
 * then a fuzz run of 2,000 mutations of a good input each (seeds fixed, so a failure repeats):
 * nothing but that error type, with one line, may escape. The QEMU transport's fuzz run must
 * end connections, never throw.
 */
class BadInputCorpusTest {

    private static final int FUZZ = 2000;
    private static final String SPECIALS = "0123456789abcdefxz:.,@=*-[]{}\"' \n\t";

    private static void oneLineError(Consumer<String> parser, String input) {
        Throwable thrown = catchThrowable(() -> parser.accept(input));
        assertThat(thrown).as("input %s", printable(input)).isInstanceOf(InputError.class);
        assertThat(thrown.getMessage()).as("input %s", printable(input)).isNotBlank().doesNotContain("\n");
    }

    private static void fuzz(Consumer<String> parser, String good, long seed) {
        Random random = new Random(seed);
        for (int i = 0; i < FUZZ; i++) {
            char[] text = good.toCharArray();
            int edits = 1 + random.nextInt(4);
            StringBuilder mutated = new StringBuilder(new String(text));
            for (int e = 0; e < edits && mutated.length() > 0; e++) {
                int at = random.nextInt(mutated.length());
                switch (random.nextInt(4)) {
                    case 0 -> mutated.deleteCharAt(at);
                    case 1 -> mutated.insert(at, (char) random.nextInt(0x250));
                    case 2 -> mutated.setCharAt(at, SPECIALS.charAt(random.nextInt(SPECIALS.length())));
                    default -> mutated.setLength(at);
                }
            }
            String input = mutated.toString();
            Throwable thrown = catchThrowable(() -> parser.accept(input));
            if (thrown != null) {
                assertThat(thrown).as("fuzz %d of seed %d: %s", i, seed, printable(input)).isInstanceOf(InputError.class);
                assertThat(thrown.getMessage()).as("fuzz %d of seed %d: %s", i, seed, printable(input)).isNotBlank()
                        .doesNotContain("\n");
            }
        }
    }

    private static String printable(String input) {
        return input.length() > 80 ? input.substring(0, 80) + "..." : input;
    }

    @Test
    void assignment_specs() {
        Consumer<String> parser = s -> SpecParser.parse(s, SpecSyntax.AUTO);
        for (String bad : List.of("", " ", "03:00", "03:00.0@zz", "03:00.0,permissive=2", "ff:20.0", "00:00.8",
                "99999:00:00.0", "03:00.0,seize=1,seize=1", "03:00.0," + "x".repeat(10_000), "03:00.0,ṕermissive=1",
                "0000:03:00.0-", "-", "03:00.0@1f0", "03:00.*@ffffffffffffffffffff", "03:00.0,\npermissive=1")) {
            oneLineError(parser, bad);
        }
        fuzz(parser, "0000:03:00.0@6,permissive=1,msitranslate=0,rdm_policy=strict", 1);
    }

    @Test
    void vm_configs() {
        Consumer<String> parser = s -> VmConfigReader.parse("vm.cfg", Path.of("/vms"), s);
        for (String bad : List.of("=", "name", "name =", "name = \"x", "memory = 99999999999999999999", "memory = -5",
                "memory = [1, 2]", "pci = [", "pci = [ '03:00.0' ", "pci = 'x'", "ñame = 1", "name = 'a' 'b'",
                "passthru_sources = [ 'profiles:' ]", "passthru_hotplug_slots = \"9-3\"", "\u0000")) {
            oneLineError(parser, bad);
        }
        fuzz(parser, "name = \"web\"\nmemory = 2048\npci = [ '03:00.0@6,permissive=1', '04:00.*' ]\npci_seize = 1\n", 2);
    }

    @Test
    void profiles() throws Exception {
        String good = Files.readString(Path.of("../examples/profiles/six-bars-64-vectors.json"), StandardCharsets.UTF_8);
        Consumer<String> parser = s -> ProfileReader.parse("p.json", s);
        for (String bad : List.of("", "{", "[]", "null", "{\"format\": 1}", good.replace("\"0000:05:00.0\"", "5"),
                good.replace("\"irq\": 11", "\"irq\": 99999999999999999999"), good.replace("\"size\": \"64K\"", "\"size\": \"64Q\""),
                good.replace("\"config\": \"", "\"config\": \"zz"), good.substring(0, good.length() / 2), good + "{}",
                good.replace("\"index\": 0", "\"index\": 9"), good.replace("passthru-profile/1", "passthru-profile/9"))) {
            oneLineError(parser, bad);
        }
        fuzz(parser, good, 3);
    }

    @Test
    void lspci_dumps() throws Exception {
        String good = Files.readString(Path.of("../examples/dumps/qemu-virtio.txt"), StandardCharsets.UTF_8);
        Consumer<String> parser = s -> LspciDumpReader.parse("d.txt", s.lines().toList());
        for (String bad : List.of("00:09.0 x\n00: zz", "00:09.0 x\n00: 00 11", "zz:zz.z title\n00: " + "00 ".repeat(16),
                "00:09.0 x\n" + "00: " + "00 ".repeat(16) + "\n00:09.0 x\n00: " + "00 ".repeat(16),
                "00:09.0 x\n1000: " + "00 ".repeat(16), "00:09.0 é\n00: " + "0é ".repeat(16))) {
            oneLineError(parser, bad);
        }
        fuzz(parser, good, 4);
    }

    @Test
    void qemu_transport_messages_end_the_connection_and_never_throw() {
        Random random = new Random(5);
        DeviceRig rig = new DeviceRig();
        DeviceProxyTarget target = new DeviceProxyTarget(rig.attach(rig.nic, Placement.NONE));
        for (int i = 0; i < FUZZ; i++) {
            FakeUnixSockets sockets = new FakeUnixSockets();
            int[] pair = sockets.socketPair();
            byte[] message = new byte[random.nextInt(64)];
            random.nextBytes(message);
            if (message.length >= 8 && random.nextBoolean()) {
                message[0] = (byte) random.nextInt(9);
                message[1] = message[2] = message[3] = 0;
            }
            sockets.send(pair[1], message, message.length);
            sockets.close(pair[1]);
            ProxyConnection connection = new ProxyConnection(sockets, pair[0], target, "fuzz");
            connection.run();
            assertThat(connection.endReason()).as("message %d", i).isNotBlank();
            assertThat(sockets.isClosed(pair[0])).isTrue();
        }
    }
}
