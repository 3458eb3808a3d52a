package dev.passthru;

/**
 * A text a user wrote (a PCI spec, an address, a size) that does not parse. The message names the
 * input, the 1-based column where parsing stopped, and what was expected there.
 */
public final class SyntaxError extends InputError {

    private final String input;
    private final int column;
    private final String expected;

    public SyntaxError(String input, int column, String expected) {
        super(format(input, column, expected));
        this.input = input;
        this.column = column;
        this.expected = expected;
    }

    private static String format(String input, int column, String expected) {
        String found = column > input.length()
                ? "the end"
                : "'" + printable(input.charAt(column - 1)) + "'";
        return "\"" + input + "\", column " + column + ": expected " + expected + ", found " + found;
    }

    private static String printable(char c) {
        return c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c);
    }

    public String input() {
        return input;
    }

    /** 1-based column of the first character that did not fit. */
    public int column() {
        return column;
    }

    public String expected() {
        return expected;
    }
}
