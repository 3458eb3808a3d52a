package dev.passthru.cli;

import dev.passthru.InputError;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.List;

/** The {@code passthru} command line. */
public final class Main implements Runnable {

    private static final CommandTree COMMANDS = CommandTree.of(Main::spec)
            .with("run", RunCommand::spec)
            .with("spec", SpecCommand::spec)
            .with("view", ViewCommand::spec)
            .with("host", CommandTree.of(() -> GroupCommand.spec("host", "list, show or snapshot",
                            "The host's PCI functions: list them, show one, record one as a profile. They are read from "
                                    + "sysfs (/sys/bus/pci, or --sysfs DIR), a folder of profiles (--profile-dir) or an "
                                    + "lspci dump (--dump), or VFIO (--vfio)."))
                    .with("list", HostListCommand::spec)
                    .with("show", HostShowCommand::spec)
                    .with("snapshot", HostSnapshotCommand::spec))
            .with("pci-assignable-list", PciAssignableListCommand::spec)
            .with("sim", CommandTree.of(() -> GroupCommand.spec("sim", "attach",
                            "Run the device lifecycle against passthru's simulated hypervisor, which keeps the tables a "
                                    + "real one keeps and refuses what a real one must refuse: see what an attach asks "
                                    + "of the hypervisor."))
                    .with("attach", SimAttachCommand::spec))
            .with("xen", CommandTree.of(() -> GroupCommand.spec("xen", "serve",
                            "passthru as a Xen device model (in dom0, with Xen 4.17's libraries)."))
                    .with("serve", XenServeCommand::spec))
            .with("serve", VfioUserServeCommand::spec)
            .with("daemon", DaemonCommand::spec)
            .with("create", () -> DaemonRequestCommand.spec("create", "create", "Create a VM in the daemon from a VM "
                    + "config: its functions are attached and the built-in guest boots.",
                    List.of(new DaemonRequestCommand.Parameter("VM.cfg", "config", "The VM config.")), DaemonRequestCommand::vms1))
            .with("destroy", () -> DaemonRequestCommand.spec("destroy", "destroy", "Destroy a VM: every function detached.",
                    List.of(new DaemonRequestCommand.Parameter("VM", "vm", "The VM's name.")), r -> ""))
            .with("list", () -> DaemonRequestCommand.spec("list", "list", "List the daemon's VMs, as xl list does.",
                    List.of(), DaemonRequestCommand::vms))
            .with("pci-attach", () -> DaemonRequestCommand.spec("pci-attach", "pci-attach", "Hot-plug a host function "
                    + "into a running VM, as xl pci-attach: SPEC is [DDDD:]BB:DD.F[@VSLOT][,KEY=VALUE...].",
                    List.of(new DaemonRequestCommand.Parameter("VM", "vm", "The VM's name."),
                            new DaemonRequestCommand.Parameter("SPEC", "spec", "The function and its options.")),
                    DaemonRequestCommand::functions))
            .with("pci-detach", () -> DaemonRequestCommand.spec("pci-detach", "pci-detach", "Hot-unplug a host function "
                    + "from a running VM, as xl pci-detach.",
                    List.of(new DaemonRequestCommand.Parameter("VM", "vm", "The VM's name."),
                            new DaemonRequestCommand.Parameter("BDF", "bdf", "The host function.")),
                    DaemonRequestCommand::functions))
            .with("pci-list", () -> DaemonRequestCommand.spec("pci-list", "pci-list", "List a VM's functions, as xl pci-list.",
                    List.of(new DaemonRequestCommand.Parameter("VM", "vm", "The VM's name.")), DaemonRequestCommand::functions))
            .with("pci-assignable-add", () -> DaemonRequestCommand.spec("pci-assignable-add", "pci-assignable-add",
                    "Make a host function assignable (as if bound to pciback), as xl pci-assignable-add.",
                    List.of(new DaemonRequestCommand.Parameter("BDF", "bdf", "The host function.")),
                    DaemonRequestCommand::addresses))
            .with("pci-assignable-remove", () -> DaemonRequestCommand.spec("pci-assignable-remove", "pci-assignable-remove",
                    "Take a host function out of the assignable set, as xl pci-assignable-remove.",
                    List.of(new DaemonRequestCommand.Parameter("BDF", "bdf", "The host function.")),
                    DaemonRequestCommand::addresses))
            .with("help", () -> CommandSpec.forAnnotatedObject(new CommandLine.HelpCommand()));

    private CommandSpec command;

    static CommandSpec spec() {
        Main main = new Main();
        main.command = Specs.footer(Specs.command(main, "passthru",
                        "PCI device pass-through for virtual machines: the device model."),
                "Exit status: 0 done, 1 failed, 2 bad input (one line on stderr says what and where).");
        return main.command;
    }

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true, System.out.charset()),
                new PrintWriter(System.err, true, System.err.charset()), args));
    }

    /** Every command, for tests and help. */
    static CommandLine commands() {
        return COMMANDS.build(new String[0]);
    }

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
        command.commandLine().usage(command.commandLine().getErr());
        throw new CommandLine.ParameterException(command.commandLine(), "a command is needed");
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
