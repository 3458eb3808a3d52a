package dev.passthru.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {

    @Test
    void every_command_has_help() {
        assertThat(Cli.run("--help").status()).isZero();
        List<String> paths = new ArrayList<>();
        collect(Main.commands(), List.of(), paths);
        assertThat(paths).contains("spec", "view", "host", "host list", "host show", "host snapshot", "pci-assignable-list");
        for (String path : paths) {
            List<String> args = new ArrayList<>(List.of(path.split(" ")));
            args.add("--help");
            Cli cli = Cli.run(args.toArray(String[]::new));
            assertThat(cli.status()).as(path).isZero();
            assertThat(cli.out()).as(path).startsWith("Usage: passthru " + path);
        }
    }

    private static void collect(CommandLine command, List<String> prefix, List<String> paths) {
        command.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help")) {
                List<String> path = new ArrayList<>(prefix);
                path.add(name);
                paths.add(String.join(" ", path));
                collect(sub, path, paths);
            }
        });
    }

    @Test
    void no_command_is_a_usage_error() {
        Cli cli = Cli.run();
        assertThat(cli.status()).isEqualTo(2);
        assertThat(cli.err()).contains("passthru: a command is needed");
    }

    @Test
    void an_unknown_option_gets_one_line_and_status_2() {
        Cli cli = Cli.run("spec", "--frobnicate", "03:00.0");
        assertThat(cli.status()).isEqualTo(2);
        assertThat(cli.err().lines()).containsExactly(
                "passthru: Unknown option: '--frobnicate' (see 'passthru spec --help')");
    }

    @Test
    void version_names_the_program() {
        assertThat(Cli.run("--version").out()).startsWith("passthru ");
    }
}
