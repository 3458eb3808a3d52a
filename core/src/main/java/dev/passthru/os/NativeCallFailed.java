package dev.passthru.os;

import org.jspecify.annotations.Nullable;

import java.util.Objects;

/**
 * A C call that failed: which call, what it was on, and errno by name, as in
 * {@code "VFIO_DEVICE_RESET on 0000:00:03.0: ENOTTY (errno 25)"}. What it was on is any object
 * whose text says so (a path, an address, a description built once); its text is taken only
 * here, when the call has failed, so a call that succeeds builds no message.
 */
public final class NativeCallFailed extends RuntimeException {

    private final String call;
    private final int errno;

    /** {@code on} may be empty (or null) where the call has nothing to name. */
    public NativeCallFailed(String call, @Nullable Object on, int errno) {
        super(message(call, on, errno));
        this.call = call;
        this.errno = errno;
    }

    private static String message(String call, @Nullable Object on, int errno) {
        String what = on == null ? "" : on.toString();
        String name = ErrnoNames.name(errno);
        return call + (what.isEmpty() ? "" : " on " + what) + ": "
                + (name.startsWith("errno") ? name : name + " (errno " + errno + ")");
    }

    /** Never null: the constructor always builds it. */
    @Override
    public String getMessage() {
        return Objects.requireNonNull(super.getMessage(), "the constructor always builds the message");
    }

    /** The C function (or ioctl, or hypervisor operation) that failed. */
    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }
}
