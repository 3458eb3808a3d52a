package dev.passthru.vfio;

/** A VFIO call that failed: which call, on what, and errno by name. */
public final class VfioException extends RuntimeException {

    private final int errno;

    public VfioException(String call, String what, int errno) {
        super(call + " on " + what + " failed: " + errnoName(errno));
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    static String errnoName(int errno) {
        return switch (errno) {
            case 1 -> "EPERM";
            case 2 -> "ENOENT";
            case 5 -> "EIO";
            case 9 -> "EBADF";
            case 12 -> "ENOMEM";
            case 13 -> "EACCES";
            case 14 -> "EFAULT";
            case 16 -> "EBUSY";
            case 17 -> "EEXIST";
            case 19 -> "ENODEV";
            case 22 -> "EINVAL";
            case 25 -> "ENOTTY";
            case 95 -> "EOPNOTSUPP";
            default -> "errno " + errno;
        };
    }
}
