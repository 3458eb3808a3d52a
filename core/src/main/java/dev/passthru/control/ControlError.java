package dev.passthru.control;

import dev.passthru.InputError;

/** A request that cannot be done, with a code for tooling and a line for people. */
public sealed class ControlError extends InputError permits StateFolderError {

    private final String code;

    public ControlError(String code, String message) {
        super(message);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
