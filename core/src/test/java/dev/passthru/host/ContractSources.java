package dev.passthru.host;

import dev.passthru.host.profile.ProfileSource;
import dev.passthru.host.profile.ProfileWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Second sources for {@link HostSourceContract}'s agreement case: the same functions written another way. */
public final class ContractSources {

    private ContractSources() {
    }

    /** A folder of profiles written from every function of {@code source}, in {@code dir}. */
    public static HostSource profilesOf(HostSource source, Path dir) {
        try {
            for (HostFunction f : source.scan().functions()) {
                Files.writeString(dir.resolve(f.address().toString().replace(':', '_') + ".json"), ProfileWriter.write(f, ""));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ProfileSource(dir);
    }

    /** A copy of the folder {@code from}, its files and folders, in {@code to}. */
    public static Path copy(Path from, Path to) {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return to;
    }
}
