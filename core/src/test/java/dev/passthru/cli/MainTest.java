package dev.passthru.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {

    @Test
    void every_command_has_help() {
        CommandLine root = new CommandLine(new Main());
        assertThat(Cli.run("--help").status()).isZero();
        for (String name : root.getSubcommands().keySet()) {
            if (name.equals("help")) {
                continue;
            }
            Cli cli = Cli.run(name, "--help");
            assertThat(cli.status()).as(name).isZero();
            assertThat(cli.out()).as(name).startsWith("Usage: passthru " + name);
        }
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
