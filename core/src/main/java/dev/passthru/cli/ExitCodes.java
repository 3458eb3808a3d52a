package dev.passthru.cli;

/** Exit statuses of every passthru command. */
final class ExitCodes {

    private ExitCodes() {
    }

    static final int OK = 0;
    /** The operation was tried and did not (fully) succeed. */
    static final int FAILED = 1;
    /** The user's input (arguments, specs, files) was bad; nothing was changed. */
    static final int BAD_INPUT = 2;
}
