package dev.passthru.host.sysfs;

import dev.passthru.InputError;
import org.jspecify.annotations.Nullable;

import java.io.File;
import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotLinkException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Small reads of sysfs attribute files and links by path string, for one thread at a time. An absent file or link is
 * null (sysfs leaves out what a function lacks); one that exists but cannot be read is an
 * {@link InputError} naming it.
 */
final class SysfsFiles {

    /** Attribute files hold one short value; resource files a few hundred bytes. */
    private static final int TEXT_LIMIT = 4096;

    /**
     * Reused for every text file a reader reads: a listing reads thousands, and a fresh buffer
     * each time would be megabytes of garbage in a process that lives for a fraction of a second.
     */
    private final byte[] scratch = new byte[TEXT_LIMIT];

    /** The file's text without surrounding white space, or null when it does not exist. */
    @Nullable String text(String path) {
        int length = read(path, scratch, TEXT_LIMIT);
        return length < 0 ? null : new String(scratch, 0, length, StandardCharsets.US_ASCII).strip();
    }

    /** Up to {@code limit} bytes from the start of the file, or null when it does not exist. */
    byte @Nullable [] head(String path, int limit) {
        byte[] bytes = new byte[limit];
        int length = read(path, bytes, limit);
        return length < 0 ? null : length == limit ? bytes : Arrays.copyOf(bytes, length);
    }

    /**
     * Reads up to {@code limit} bytes into {@code into} and returns how many, or -1 when the file
     * does not exist. Plain reads: {@code readNBytes} would first ask the file's size and
     * position, two system calls more per file, and sysfs reports a size unrelated to the content.
     */
    private static int read(String path, byte[] into, int limit) {
        try (FileInputStream in = new FileInputStream(path)) {
            return Math.max(0, in.read(into, 0, limit));
        } catch (FileNotFoundException e) {
            if (!new File(path).exists()) {
                return -1;
            }
            throw new InputError(path + ": cannot read (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new InputError(path + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** The last element of where the link points, or null when there is no such link. */
    static @Nullable String linkTarget(String path) {
        try {
            Path target = Files.readSymbolicLink(Path.of(path)).getFileName();
            return target == null ? "" : target.toString();
        } catch (NoSuchFileException | NotLinkException e) {
            return null;
        } catch (IOException e) {
            throw new InputError(path + ": cannot read the link (" + e.getMessage() + ")");
        }
    }
}
