package dev.passthru.host.profile;

import dev.passthru.InputError;
import dev.passthru.host.HostFunction;
import dev.passthru.host.HostSource;
import dev.passthru.host.Inventory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A folder of profiles ({@code *.json}), each a recorded function. */
public final class ProfileSource implements HostSource {

    private final Path dir;

    public ProfileSource(Path dir) {
        this.dir = dir;
    }

    @Override
    public Inventory scan(Detail detail) {
        if (!Files.isDirectory(dir)) {
            throw new InputError(dir + ": not a folder (expected a folder of passthru profiles, *.json)");
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.json")) {
            stream.forEach(files::add);
        } catch (IOException e) {
            throw new InputError(dir + ": cannot list (" + e.getMessage() + ")");
        }
        files.sort(null);
        List<HostFunction> functions = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Map<Object, Path> seen = new HashMap<>();
        for (Path file : files) {
            try {
                HostFunction function = ProfileReader.read(file);
                Path earlier = seen.putIfAbsent(function.address(), file);
                if (earlier != null) {
                    problems.add(file + ": function " + function.address() + " is also in " + earlier);
                    continue;
                }
                functions.add(function);
            } catch (InputError e) {
                problems.add(e.getMessage());
            }
        }
        functions.sort(Comparator.comparing(HostFunction::address));
        return new Inventory("profiles in " + dir, functions, problems);
    }
}
