package dev.passthru.cli;

import dev.passthru.InputError;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;

/** The {@code passthru} command line. */
@Command(name = "passthru",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "PCI device pass-through for virtual machines: the device model.",
        footer = {"", "Exit status: 0 done, 1 failed, 2 bad input (one line on stderr says what and where)."})
public final class Main implements Runnable {

    @Spec
    private CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    private static final CommandTree COMMANDS = CommandTree.of(Main::new)
            .with("spec", SpecCommand::new)
            .with("view", ViewCommand::new)
            .with("host", CommandTree.of(HostCommand::new)
                    .with("list", HostListCommand::new)
                    .with("show", HostShowCommand::new)
                    .with("snapshot", HostSnapshotCommand::new))
            .with("pci-assignable-list", PciAssignableListCommand::new)
            .with("help", CommandLine.HelpCommand::new);

    /** Runs a command line with the given output streams and returns its exit status. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = COMMANDS.build(args);
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((e, ignored) -> {
            CommandLine command = e.getCommandLine();
            err.println("passthru: " + e.getMessage() + " (see '" + command.getCommandSpec().qualifiedName() + " --help')");
            return ExitCodes.BAD_INPUT;
        });
        cli.setExecutionExceptionHandler((e, command, parseResult) -> {
            if (e instanceof InputError) {
                err.println("passthru: " + e.getMessage());
                return ExitCodes.BAD_INPUT;
            }
            err.println("passthru: internal error: " + e);
            if (System.getenv("PASSTHRU_DEBUG") != null) {
                e.printStackTrace(err);
            } else {
                err.println("passthru: set PASSTHRU_DEBUG=1 for the stack trace");
            }
            return ExitCodes.FAILED;
        });
        int status = cli.execute(args);
        out.flush();
        err.flush();
        return status;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is needed");
    }

    /** The version from the jar's manifest, or "development" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"passthru " + (version != null ? version : "(development build)")};
        }
    }
}
