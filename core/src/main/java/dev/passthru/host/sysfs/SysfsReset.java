package dev.passthru.host.sysfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Resets a host function through the kernel, as libxl does before a function is given to a
 * guest and after it is taken back: writing 1 to its sysfs {@code reset} file makes the kernel
 * save the function's config space, reset it by the first method that works, and restore the
 * config. To say which method that was, each method the kernel offers (its {@code reset_method}
 * file, in the kernel's order: flr, af_flr, pm, bus, ...) is tried alone, and the file is put
 * back as it was. A kernel without {@code reset_method} resets by its own choice, unnamed.
 */
public final class SysfsReset {

    private SysfsReset() {
    }

    /**
     * Why the function in {@code dir} cannot be reset, or empty when it can: the kernel gives a
     * {@code reset} file only to functions with at least one reset method.
     */
    public static Optional<String> unresettable(Path dir) {
        if (Files.exists(dir.resolve("reset"))) {
            return Optional.empty();
        }
        return Optional.of("the kernel knows no way to reset it (no function-level reset, no power-management reset, "
                + "and it is not alone behind a bridge whose bus could be reset)");
    }

    /**
     * Resets the function in {@code dir}; the method the kernel used, as {@code reset_method}
     * names it ("kernel's choice" where the kernel does not say).
     *
     * @throws IOException when the function has no reset, or every method failed
     */
    public static String reset(Path dir) throws IOException {
        Path reset = dir.resolve("reset");
        Path methods = dir.resolve("reset_method");
        if (!Files.exists(methods)) {
            Files.writeString(reset, "1");
            return "kernel's choice";
        }
        String original = Files.readString(methods).strip();
        List<String> offered = List.of(original.split("\\s+")).stream().filter(m -> !m.isEmpty()).toList();
        IOException last = null;
        try {
            for (String method : offered) {
                try {
                    Files.writeString(methods, method);
                    Files.writeString(reset, "1");
                    return method;
                } catch (IOException e) {
                    last = e;
                }
            }
        } finally {
            if (!original.isEmpty()) {
                Files.writeString(methods, original);
            }
        }
        throw new IOException(dir.getFileName() + ": no reset method worked (tried " + original + ")"
                + (last != null ? ": " + last.getMessage() : ""));
    }
}
