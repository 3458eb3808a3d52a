package dev.passthru.control;

import java.util.Objects;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Durable writes in the daemon's state folder; each failure is a {@link StateFolderError}. */
final class StateFolder {

    private StateFolder() {
    }

    /**
     * Replaces {@code file} with {@code bytes} all at once: written beside it, forced, renamed
     * over it, and then the folder forced, so that after a crash the file is wholly old or wholly
     * new and, once this returns, new.
     */
    static void replace(Path file, byte[] bytes) {
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        } catch (IOException e) {
            throw new StateFolderError(partial, "write", e);
        }
        try {
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new StateFolderError(partial, "rename to " + file.getFileName(), e);
        }
        sync(Objects.requireNonNull(file.getParent(), "a state file lies in the state folder"));
    }

    /**
     * Forces the folder's own entries to disk. A rename or a new file changes the folder, not the
     * file: forcing the file does not write its name, and until the folder is forced a crash can
     * bring back the old name or lose the new file (fsync(2) says as much; ext4 and xfs behave
     * so). Java has no call to sync a folder, but forcing a channel opened on one is fsync(2) of
     * the folder.
     */
    static void sync(Path folder) {
        try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            throw new StateFolderError(folder, "sync the folder", e);
        }
    }
}
