package dev.passthru.vfiouser;

import dev.passthru.os.ForeignUnixSockets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code passthru serve --vfio-user} as a user runs it, in a process of its own: it says what it
 * serves, a client reaches the function through its socket, SIGTERM detaches it and removes the
 * socket with exit status 0; bad input is one line and exit status 2.
 */
class VfioUserServeCommandTest {

    private static final String DUMP = Path.of("../examples/dumps/intel-82576-nic.txt").toAbsolutePath().toString();

    @TempDir
    Path dir;

    private Process start(Path log, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.passthru.cli.Main"));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    @Test
    void serves_the_function_until_sigterm_then_detaches_it_and_removes_the_socket() throws Exception {
        Path socket = dir.resolve("nic.sock");
        Path log = dir.resolve("serve.log");
        Process serve = start(log, "serve", "--vfio-user", socket.toString(), "--dump", DUMP, "01:00.0,seize=1");
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!Files.exists(socket) && serve.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(Files.exists(socket)).as(Files.readString(log)).isTrue();
        try (SpecClient client = new SpecClient(new ForeignUnixSockets(), socket.toString())) {
            assertThat(client.version(null).isError()).isFalse();
            assertThat(client.read(7, 0, 4)).isEqualTo(0x10c98086L);
        }
        serve.destroy();
        assertThat(serve.waitFor(20, TimeUnit.SECONDS)).isTrue();
        String out = Files.readString(log);
        assertThat(serve.exitValue()).as(out).isZero();
        assertThat(out).contains("serving 0000:01:00.0 on " + socket + ": every access by message; vectors: INTx 1, MSI 1, "
                + "MSI-X 10").contains("detached 0000:01:00.0");
        assertThat(socket).doesNotExist();
    }

    @Test
    void no_socket_several_functions_without_a_folder_and_an_unknown_function_are_one_line_each_and_status_2()
            throws Exception {
        String[][] cases = {
                {"serve", "--dump", DUMP, "01:00.0"},
                {"serve", "--vfio-user", dir.resolve("x.sock").toString(), "--dump", DUMP, "01:00.0", "02:00.0"},
                {"serve", "--vfio-user", dir.resolve("y.sock").toString(), "--dump", DUMP, "09:00.0"},
        };
        String[] said = {"serve needs --vfio-user SOCKET", "must be a folder", "0000:09:00.0: no such function"};
        for (int i = 0; i < cases.length; i++) {
            Path log = dir.resolve("bad-" + i + ".log");
            Process p = start(log, cases[i]);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String out = Files.readString(log).strip();
            assertThat(p.exitValue()).as(out).isEqualTo(2);
            assertThat(out).contains(said[i]);
            assertThat(out.lines().filter(l -> l.startsWith("passthru:")).count()).as(out).isEqualTo(1);
        }
    }
}
