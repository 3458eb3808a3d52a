package dev.passthru.os;

/** The errno values passthru's C calls meet (Linux x86-64), by name, for {@link NativeCallFailed}. */
public final class ErrnoNames {

    private ErrnoNames() {
    }

    public static String name(int errno) {
        return switch (errno) {
            case 1 -> "EPERM";
            case 2 -> "ENOENT";
            case 3 -> "ESRCH";
            case 4 -> "EINTR";
            case 5 -> "EIO";
            case 7 -> "E2BIG";
            case 9 -> "EBADF";
            case 11 -> "EAGAIN";
            case 12 -> "ENOMEM";
            case 13 -> "EACCES";
            case 14 -> "EFAULT";
            case 16 -> "EBUSY";
            case 17 -> "EEXIST";
            case 18 -> "EXDEV";
            case 19 -> "ENODEV";
            case 22 -> "EINVAL";
            case 24 -> "EMFILE";
            case 25 -> "ENOTTY";
            case 28 -> "ENOSPC";
            case 32 -> "EPIPE";
            case 38 -> "ENOSYS";
            case 88 -> "ENOTSOCK";
            case 95 -> "EOPNOTSUPP";
            case 104 -> "ECONNRESET";
            case 111 -> "ECONNREFUSED";
            default -> "errno " + errno;
        };
    }
}
