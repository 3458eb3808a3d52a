package dev.passthru.cli;

import dev.passthru.InputError;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes a file whole or not at all: beside the target first, then moved over it. */
final class AtomicFile {

    private AtomicFile() {
    }

    static void write(Path file, CharSequence text) {
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        try {
            Files.writeString(partial, text, StandardCharsets.UTF_8);
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException ignored) {
                // the first failure is the one worth reporting
            }
            throw new InputError(file + ": cannot write (" + e.getMessage() + ")");
        }
    }
}
