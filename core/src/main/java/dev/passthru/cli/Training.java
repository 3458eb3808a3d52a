package dev.passthru.cli;

import java.io.PrintWriter;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;

/**
 * The workload {@code bin/passthru} runs once after each build to record the JVM's AOT cache:
 * the main commands on the live host and on a dump, their output thrown away. The JVM keeps the
 * classes these runs load, already parsed and linked, so every later command starts without
 * loading them from the jar. Usage: {@code Training [DUMP [VM.cfg]]}.
 */
public final class Training {

    private Training() {
    }

    public static void main(String[] args) {
        PrintWriter nowhere = new PrintWriter(Writer.nullWriter());
        for (String[] line : workload(args.length > 0 ? args[0] : null, args.length > 1 ? args[1] : null)) {
            Main.run(nowhere, nowhere, line);
        }
    }

    private static List<String[]> workload(String dump, String vm) {
        List<String[]> lines = new ArrayList<>(List.of(
                new String[] {"--help"},
                new String[] {"host", "list", "--help"},
                new String[] {"spec", "03:00.0@6,permissive=1", "0000:04:00.*,seize=1", "--json"},
                new String[] {"host", "list"},
                new String[] {"host", "list", "-n"},
                new String[] {"host", "list", "--json"},
                new String[] {"pci-assignable-list"}));
        if (dump != null) {
            lines.add(new String[] {"view", dump, "-xxxx", "--write", "04.w=0002"});
            lines.add(new String[] {"host", "list", "--dump", dump});
            lines.add(new String[] {"host", "show", "--dump", dump, "00:09.0", "-v", "-xxx"});
            lines.add(new String[] {"sim", "attach", "00:09.0", "--dump", dump, "--seize", "--place", "1=0xc0000000"});
        }
        if (vm != null) {
            lines.add(new String[] {"run", vm});
        }
        return lines;
    }
}
