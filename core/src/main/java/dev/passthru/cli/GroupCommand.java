package dev.passthru.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** A command that only groups subcommands ({@code passthru host}, {@code passthru sim}): alone it is a usage error. */
final class GroupCommand implements Runnable {

    private final String subcommands;
    private CommandSpec command;

    private GroupCommand(String subcommands) {
        this.subcommands = subcommands;
    }

    /** @param subcommands the subcommands' names for the error, as "list, show or snapshot" */
    static CommandSpec spec(String name, String subcommands, String description) {
        GroupCommand group = new GroupCommand(subcommands);
        group.command = Specs.command(group, name, description);
        return group.command;
    }

    @Override
    public void run() {
        throw new ParameterException(command.commandLine(), "a subcommand is needed: " + subcommands);
    }
}
