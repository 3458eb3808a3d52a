package dev.passthru.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

import java.util.List;
import java.util.Map;

/** What a command line gave one command, read by option name or position. */
final class Args {

    private final ParseResult parsed;

    private Args(ParseResult parsed) {
        this.parsed = parsed;
    }

    /** The values of the command line that ran {@code spec}. */
    static Args of(CommandSpec spec) {
        return new Args(spec.commandLine().getParseResult());
    }

    boolean flag(String name) {
        return parsed.hasMatchedOption(name);
    }

    /** How many times a counted option was given: 3 for {@code -xxx}. */
    int count(String name) {
        return parsed.matchedOptionValue(name, new boolean[0]).length;
    }

    /** The option's value as its converter made it, or {@code absent} when it was not given. */
    <T> T value(String name, T absent) {
        return parsed.matchedOptionValue(name, absent);
    }

    /** The option's value, or null when it was not given. */
    String text(String name) {
        return parsed.matchedOptionValue(name, null);
    }

    List<String> repeated(String name) {
        return parsed.matchedOptionValue(name, List.of());
    }

    /** The {@code KEY=VALUE} pairs of an option given once per pair. */
    <K, V> Map<K, V> pairs(String name) {
        return parsed.matchedOptionValue(name, Map.of());
    }

    /** The positional parameter at {@code index}, or null. */
    String positional(int index) {
        return parsed.matchedPositionalValue(index, null);
    }

    List<String> positionals(int index) {
        return parsed.matchedPositionalValue(index, List.of());
    }
}
