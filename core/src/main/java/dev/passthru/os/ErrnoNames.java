package dev.passthru.os;

/** The errno values these calls meet, by name, for messages. */
final class ErrnoNames {

    private ErrnoNames() {
    }

    static String name(int errno) {
        return switch (errno) {
            case 1 -> "EPERM";
            case 2 -> "ENOENT";
            case 4 -> "EINTR";
            case 9 -> "EBADF";
            case 11 -> "EAGAIN";
            case 13 -> "EACCES";
            case 22 -> "EINVAL";
            case 24 -> "EMFILE";
            case 32 -> "EPIPE";
            case 88 -> "ENOTSOCK";
            case 104 -> "ECONNRESET";
            case 111 -> "ECONNREFUSED";
            default -> "errno " + errno;
        };
    }
}
