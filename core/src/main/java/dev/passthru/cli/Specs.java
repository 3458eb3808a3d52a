package dev.passthru.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.util.List;
import java.util.Map;

/**
 * Command models built in code rather than read from annotations. To read a command's
 * annotations the JVM makes a proxy class for each annotation type, at run time and on every
 * run (no class-data cache keeps them), and picocli sets fields through reflection: together
 * some 40 ms of a command's start-up on this project's machines, where a listing takes 250.
 * Built here, a command costs a few milliseconds, and reads its values back through {@link Args}.
 */
final class Specs {

    private Specs() {
    }

    /**
     * A command that runs {@code command} (a {@code Runnable} or {@code Callable<Integer>}),
     * with {@code -h/--help} and {@code -V/--version} as every passthru command has them.
     */
    static CommandSpec command(Object command, String name, String... description) {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(command).name(name).versionProvider(new Main.Version());
        spec.usageMessage().description(description);
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true)
                .description("Show this help message and exit.").build());
        spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true)
                .description("Print version information and exit.").build());
        return spec;
    }

    /** The usage footer: examples and exit statuses, after a blank line. */
    static CommandSpec footer(CommandSpec spec, String... lines) {
        String[] footer = new String[lines.length + 1];
        footer[0] = "";
        System.arraycopy(lines, 0, footer, 1, lines.length);
        spec.usageMessage().footer(footer);
        return spec;
    }

    /** An option that is given or not. */
    static OptionSpec flag(String name, String description) {
        return OptionSpec.builder(name).type(boolean.class).description(description).build();
    }

    /** An option that takes one text value. */
    static OptionSpec text(String[] names, String label, String description) {
        return OptionSpec.builder(names).type(String.class).paramLabel(label).description(description).build();
    }

    static OptionSpec text(String name, String label, String description) {
        return text(new String[] {name}, label, description);
    }

    /** An option given once per value ({@code --write A --write B}). */
    static OptionSpec repeated(String name, String label, String description) {
        return OptionSpec.builder(name).type(List.class).auxiliaryTypes(String.class)
                .paramLabel(label).description(description).build();
    }

    /** An option given once per {@code KEY=VALUE} pair, keys and values of the given types. */
    static OptionSpec pairs(String name, Class<?> key, Class<?> value, String label, String description) {
        return OptionSpec.builder(name).type(Map.class).auxiliaryTypes(key, value)
                .paramLabel(label).description(description).build();
    }

    /** A short option whose count is its value ({@code -x}, {@code -xxx}, {@code -xxxx}). */
    static OptionSpec counted(String name, String description) {
        return OptionSpec.builder(name).type(boolean[].class).arity("0").description(description).build();
    }

    /** The positional parameter at {@code index}, one value. */
    static PositionalParamSpec positional(int index, String label, String description) {
        return PositionalParamSpec.builder().index(Integer.toString(index)).arity("1").type(String.class)
                .paramLabel(label).description(description).build();
    }
}
