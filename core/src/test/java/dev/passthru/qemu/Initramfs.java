package dev.passthru.qemu;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * An initramfs (cpio "newc", uncompressed, which the kernel takes as is) built from files of
 * this machine: a static busybox, the real lspci with the libraries it links, pci.ids, and an
 * /init script. For booting a real Linux guest in tests.
 */
public final class Initramfs {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Set<String> directories = new LinkedHashSet<>();
    private final Set<String> added = new LinkedHashSet<>();
    private int inode = 1;

    /** Adds a directory and its parents, once each. */
    public Initramfs directory(String path) {
        String parent = path.contains("/") ? path.substring(0, path.lastIndexOf('/')) : "";
        if (!parent.isEmpty()) {
            directory(parent);
        }
        if (directories.add(path)) {
            entry(path, 040755, new byte[0], 0, 0);
        }
        return this;
    }

    /** Adds a file with the content of {@code source} (followed if a link) at {@code path}. */
    public Initramfs copy(Path source, String path, int mode) {
        try {
            return file(path, Files.readAllBytes(source), mode);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Initramfs file(String path, byte[] content, int mode) {
        if (path.contains("/")) {
            directory(path.substring(0, path.lastIndexOf('/')));
        }
        entry(path, 0100000 | mode, content, 0, 0);
        return this;
    }

    public Initramfs characterDevice(String path, int major, int minor) {
        directory(path.substring(0, path.lastIndexOf('/')));
        entry(path, 020600, new byte[0], major, minor);
        return this;
    }

    public byte[] bytes() {
        entry("TRAILER!!!", 0, new byte[0], 0, 0);
        return out.toByteArray();
    }

    private void entry(String name, int mode, byte[] content, int major, int minor) {
        byte[] nameBytes = (name + "\0").getBytes(StandardCharsets.US_ASCII);
        StringBuilder header = new StringBuilder("070701");
        for (long field : new long[] {inode++, mode, 0, 0, 1, 0, content.length, 0, 0, major, minor, nameBytes.length, 0}) {
            header.append(String.format("%08x", field));
        }
        out.writeBytes(header.toString().getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(nameBytes);
        pad();
        out.writeBytes(content);
        pad();
    }

    private void pad() {
        while (out.size() % 4 != 0) {
            out.write(0);
        }
    }

    /** Adds this machine's pci.ids, where lspci looks for it. */
    public Initramfs pciIds() {
        for (Path ids : dev.passthru.pci.PciIds.LOCATIONS) {
            if (Files.isReadable(ids)) {
                copy(ids, ids.toString().substring(1), 0644);
            }
        }
        return this;
    }

    /** Adds a binary of this machine and every library {@code ldd} says it loads, at their own paths. */
    public Initramfs binary(Path binary) throws IOException, InterruptedException {
        copy(binary, binary.toString().substring(1), 0755);
        Process ldd = new ProcessBuilder("ldd", binary.toString()).redirectErrorStream(true).start();
        String libraries = new String(ldd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        ldd.waitFor();
        for (String line : libraries.lines().toList()) {
            String path = Stream.of(line.strip().split("\\s+")).filter(t -> t.startsWith("/")).findFirst().orElse(null);
            if (path != null && !directories.contains(path.substring(1)) && !added.contains(path)) {
                added.add(path);
                copy(Path.of(path), path.substring(1), 0755);
            }
        }
        return this;
    }

    /**
     * Adds the kernel modules {@code wanted} (names without .ko) from {@code modules} under
     * modules/, with the modules they need, and modules.order listing them dependencies first
     * (insmod, unlike modprobe, does not follow dependencies).
     */
    public Initramfs modules(Path modules, List<String> wanted) throws IOException {
        Map<String, List<String>> deps = new LinkedHashMap<>();
        for (String line : Files.readAllLines(modules.resolve("modules.dep"))) {
            int colon = line.indexOf(':');
            String rest = line.substring(colon + 1).strip();
            deps.put(line.substring(0, colon), rest.isEmpty() ? List.of() : List.of(rest.split("\\s+")));
        }
        Set<String> ordered = new LinkedHashSet<>();
        for (String name : wanted) {
            String path = deps.keySet().stream().filter(m -> Path.of(m).getFileName().toString().startsWith(name + ".ko"))
                    .findFirst().orElseThrow(() -> new IllegalStateException("no module " + name));
            visit(path, deps, ordered, new ArrayDeque<>());
        }
        List<String> order = new ArrayList<>();
        for (String module : ordered) {
            String name = Path.of(module).getFileName().toString();
            copy(modules.resolve(module), "modules/" + name, 0644);
            order.add(name);
        }
        return file("modules.order", String.join("\n", order).getBytes(StandardCharsets.US_ASCII), 0644);
    }

    private static void visit(String module, Map<String, List<String>> deps, Set<String> ordered, Deque<String> path) {
        if (ordered.contains(module) || path.contains(module)) {
            return;
        }
        path.push(module);
        List<String> needs = new ArrayList<>(deps.getOrDefault(module, List.of()));
        Collections.reverse(needs);
        for (String dependency : needs) {
            visit(dependency, deps, ordered, path);
        }
        path.pop();
        ordered.add(module);
    }
}
