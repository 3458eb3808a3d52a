package dev.passthru;

import dev.passthru.dump.DumpedFunction;
import dev.passthru.dump.LspciDumpReader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Real hardware as data: shared/fixtures beside the repository (CI clones main next to it).
 * Tests that need them are skipped, saying why, where shared/ is absent (see {@link RealPeers}).
 */
public final class Fixtures {

    private Fixtures() {
    }

    public static Path shared() {
        return RealPeers.shared();
    }

    public static Path dumps() {
        return shared().resolve("fixtures/pci-dumps");
    }

    /** The sysfs PCI tree of the machines this project is built on: the folder that holds devices/. */
    public static Path sysfs() {
        return shared().resolve("fixtures/sysfs-firecracker");
    }

    public static Path dump(String name) {
        return dumps().resolve(name);
    }

    /** Every dump file, sorted by name. */
    public static List<Path> dumpFiles() {
        try (Stream<Path> files = Files.list(dumps())) {
            return files.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The function {@code bdf} of dump file {@code name}. */
    public static DumpedFunction function(String name, String bdf) {
        return LspciDumpReader.read(dump(name)).stream()
                .filter(f -> f.address().shortForm().equals(bdf) || f.address().toString().equals(bdf))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(name + " has no function " + bdf));
    }
}
