package dev.passthru.qemu;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * An initramfs (cpio "newc", uncompressed, which the kernel takes as is) built from files of
 * this machine: a static busybox, the real lspci with the libraries it links, pci.ids, and an
 * /init script. For booting a real Linux guest in tests.
 */
public final class Initramfs {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Set<String> directories = new LinkedHashSet<>();
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
}
