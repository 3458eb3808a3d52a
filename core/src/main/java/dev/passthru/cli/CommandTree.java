package dev.passthru.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A command and its subcommands by name, in the order help lists them, built into picocli
 * only along the path a command line names: a listing should not pay for building every other
 * command's model. Where a level's word is not one of its subcommands (none, an option,
 * a typo, or {@code help}) all of that level is built, so that help and suggestions are whole.
 */
final class CommandTree {

    private final Supplier<CommandSpec> command;
    private final Map<String, CommandTree> subcommands = new LinkedHashMap<>();

    private CommandTree(Supplier<CommandSpec> command) {
        this.command = command;
    }

    static CommandTree of(Supplier<CommandSpec> command) {
        return new CommandTree(command);
    }

    CommandTree with(String name, CommandTree subcommand) {
        subcommands.put(name, subcommand);
        return this;
    }

    CommandTree with(String name, Supplier<CommandSpec> subcommand) {
        return with(name, of(subcommand));
    }

    /** The picocli command line for {@code args}, with the subcommands they name. */
    CommandLine build(String[] args) {
        return build(args, 0, false);
    }

    private CommandLine build(String[] args, int depth, boolean whole) {
        CommandLine cli = new CommandLine(command.get());
        String word = depth < args.length ? args[depth] : "";
        boolean all = whole || !subcommands.containsKey(word) || word.equals("help");
        subcommands.forEach((name, sub) -> {
            if (all || name.equals(word)) {
                cli.addSubcommand(name, sub.build(args, depth + 1, all));
            }
        });
        return cli;
    }
}
