package dev.passthru;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The real lspci (pciutils), the oracle for what a function holds. */
public final class Lspci {

    private static final Pattern TITLE = Pattern.compile("^((?:[0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]) (.*)$");

    /** One function in lspci's output: its address as lspci prints it, title, and the lines under it. */
    public record Entry(String address, String title, List<String> lines) {
    }

    private Lspci() {
    }

    /** Skips the calling test, saying why, where lspci is not installed (fails it under CI=true). */
    public static void assumeInstalled() {
        RealPeers.lspci();
    }

    /** Runs lspci with {@code args} and returns its output, failing the test if lspci fails. */
    public static String run(String... args) {
        List<String> command = new ArrayList<>(List.of("lspci"));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).as("lspci exit status for %s", command).isZero();
            return output;
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + command, e);
        }
    }

    /** lspci's output split by function, in its order, keyed by the address as lspci prints it. */
    public static Map<String, Entry> byFunction(String output) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        Entry current = null;
        for (String line : output.split("\n")) {
            Matcher m = TITLE.matcher(line);
            if (m.matches()) {
                current = new Entry(m.group(1), m.group(2), new ArrayList<>());
                entries.put(current.address(), current);
            } else if (current != null && !line.isEmpty()) {
                current.lines().add(line);
            }
        }
        return entries;
    }
}
