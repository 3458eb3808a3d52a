package dev.passthru.cli;

import dev.passthru.control.ControlClient;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;

/** Where the daemon's control socket is: --socket PATH, else $PASSTHRU_SOCKET, else the default. */
final class DaemonOptions {

    private DaemonOptions() {
    }

    static void addTo(CommandSpec spec) {
        spec.addOption(Specs.text("--socket", "PATH", "The daemon's control socket (default: $PASSTHRU_SOCKET, else "
                + ControlClient.DEFAULT_SOCKET + ")."));
    }

    static Path socket(Args args) {
        if (args.text("--socket") != null) {
            return Path.of(args.text("--socket"));
        }
        String env = System.getenv("PASSTHRU_SOCKET");
        return env != null && !env.isBlank() ? Path.of(env) : ControlClient.DEFAULT_SOCKET;
    }
}
