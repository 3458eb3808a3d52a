package dev.passthru;

/**
 * Bad input from a user: a spec, a file, a command-line value. Its message is one line that says
 * where the problem is, what was found and what was expected; the command line prints it alone
 * and exits with status 2. Nothing has been changed when one is thrown.
 */
public class InputError extends RuntimeException {

    public InputError(String message) {
        super(message, null, false, false);
    }
}
