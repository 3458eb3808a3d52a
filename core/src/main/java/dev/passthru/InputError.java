package dev.passthru;

/**
 * Bad input from a user: a spec, a file, a command-line value. Its message is one line that says
 * where the problem is, what was found and what was expected; the command line prints it alone
 * and exits with status 2. Nothing has been changed when one is thrown.
 */
public class InputError extends RuntimeException {

    public InputError(String message) {
        super(oneLine(message), null, false, false);
    }

    /**
     * The message with line breaks and other control characters written as {@code \xNN}: a
     * message often quotes what the user wrote, and a newline in that must not split the line.
     */
    private static String oneLine(String message) {
        if (message.chars().noneMatch(InputError::control)) {
            return message;
        }
        StringBuilder line = new StringBuilder(message.length() + 8);
        message.chars().forEach(c -> line.append(control(c) ? String.format("\\x%02x", c) : String.valueOf((char) c)));
        return line.toString();
    }

    private static boolean control(int c) {
        return c < 0x20 && c != '\t' || c == 0x7f;
    }
}
