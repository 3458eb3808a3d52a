package dev.passthru.qemu;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a QEMU that powers itself off, and keeps its serial console: each line, stripped, and a
 * copy in a log file with the seconds since QEMU started before each line (to see where a run's
 * time goes).
 */
public final class GuestConsole {

    private GuestConsole() {
    }

    /** The console's lines once QEMU exits, or is killed after {@code seconds}. */
    public static List<String> run(List<String> command, int seconds, Path log) throws IOException {
        Process qemu = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).start();
        List<String> console = new ArrayList<>();
        Thread watchdog = Thread.ofPlatform().daemon().start(() -> {
            try {
                if (!qemu.waitFor(seconds, TimeUnit.SECONDS)) {
                    qemu.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Files.deleteIfExists(log);
        long started = System.nanoTime();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(qemu.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                console.add(line.strip());
                Files.writeString(log, String.format("[%7.2f] %s%n", (System.nanoTime() - started) / 1e9, line),
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        } finally {
            watchdog.interrupt();
        }
        return console;
    }
}
