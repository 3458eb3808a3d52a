package dev.passthru.control;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * The state folder failed the daemon (cannot write the journal, cannot rename, disk full): one
 * line naming the file, what was being done and the system's reason.
 */
final class StateFolderError extends ControlError {

    StateFolderError(Path file, String doing, IOException cause) {
        super("state-folder", file + ": cannot " + doing + " (" + reason(cause) + ")");
    }

    /** The system's words for it: "No space left on device" rather than the file's name again. */
    private static String reason(IOException e) {
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
