package dev.passthru.cli;

import picocli.CommandLine.Command;

/** {@code passthru host}: the host's PCI functions. */
@Command(name = "host",
        mixinStandardHelpOptions = true,
        description = "The host's PCI functions: list them, show one, record one as a profile. They are read from "
                + "sysfs (/sys/bus/pci, or --sysfs DIR), a folder of profiles (--profile-dir) or an lspci dump (--dump).")
final class HostCommand implements Runnable {

    @picocli.CommandLine.Spec
    private picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is needed: list, show or snapshot");
    }
}
