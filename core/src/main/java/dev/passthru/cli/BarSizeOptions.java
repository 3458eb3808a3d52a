package dev.passthru.cli;

import dev.passthru.InputError;
import dev.passthru.SyntaxError;
import dev.passthru.host.Sizes;
import picocli.CommandLine.Option;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** BAR and ROM sizes a user gives for a dumped function whose dump lacks them. */
final class BarSizeOptions {

    @Option(names = "--bar", paramLabel = "N=SIZE",
            description = "Size of BAR N (4096, 4K, 16M, 0x1000) where the dump has no [size=...] line; 0 leaves it out.")
    private Map<Integer, String> bars = new LinkedHashMap<>();

    @Option(names = "--rom", paramLabel = "SIZE", description = "Size of the expansion ROM; 0 leaves it out.")
    private String rom;

    Map<Integer, Long> bars() {
        Map<Integer, Long> sizes = new HashMap<>();
        bars.forEach((index, size) -> sizes.put(index, parse(size, "--bar " + index)));
        return sizes;
    }

    /** The ROM size given, or {@code null}. */
    Long rom() {
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
