package dev.passthru.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** {@code passthru host}: the host's PCI functions. */
final class HostCommand implements Runnable {

    private CommandSpec command;

    static CommandSpec spec() {
        HostCommand host = new HostCommand();
        host.command = Specs.command(host, "host",
                "The host's PCI functions: list them, show one, record one as a profile. They are read from "
                        + "sysfs (/sys/bus/pci, or --sysfs DIR), a folder of profiles (--profile-dir) or an lspci dump (--dump).");
        return host.command;
    }

    @Override
    public void run() {
        throw new ParameterException(command.commandLine(), "a subcommand is needed: list, show or snapshot");
    }
}
