package dev.passthru.xen;

import dev.passthru.os.ErrnoNames;

/** A Xen library call that returned an error: which call, with what, and Xen's errno. */
public final class XenCallFailed extends RuntimeException {

    private final String function;
    private final int errno;

    public XenCallFailed(String function, String arguments, int errno) {
        super(function + "(" + arguments + "): " + describe(errno));
        this.function = function;
        this.errno = errno;
    }

    private static String describe(int errno) {
        String name = ErrnoNames.name(errno);
        return name.startsWith("errno") ? name : name + " (errno " + errno + ")";
    }

    public String function() {
        return function;
    }

    public int errno() {
        return errno;
    }
}
