package dev.passthru.cli;

import dev.passthru.InputError;
import dev.passthru.SyntaxError;
import dev.passthru.host.Sizes;
import picocli.CommandLine.Model.CommandSpec;

import java.util.HashMap;
import java.util.Map;

/** BAR and ROM sizes a user gives for a dumped function whose dump lacks them. */
final class BarSizeOptions {

    private BarSizeOptions() {
    }

    static void addTo(CommandSpec spec) {
        spec.addOption(Specs.pairs("--bar", Integer.class, String.class, "N=SIZE",
                "Size of BAR N (4096, 4K, 16M, 0x1000) where the dump has no [size=...] line; 0 leaves it out."));
        spec.addOption(Specs.text("--rom", "SIZE", "Size of the expansion ROM; 0 leaves it out."));
    }

    /** The BAR sizes given, by index. */
    static Map<Integer, Long> bars(Args args) {
        Map<Integer, Long> sizes = new HashMap<>();
        args.<Integer, String>pairs("--bar").forEach((index, size) -> sizes.put(index, parse(size, "--bar " + index)));
        return sizes;
    }

    /** The ROM size given, or {@code null}. */
    static Long rom(Args args) {
        String rom = args.text("--rom");
        return rom == null ? null : parse(rom, "--rom");
    }

    private static long parse(String text, String option) {
        try {
            return Sizes.parse(text);
        } catch (SyntaxError e) {
            throw new InputError("bad " + option + " size " + e.getMessage());
        }
    }
}
