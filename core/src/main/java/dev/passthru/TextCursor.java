package dev.passthru;

/**
 * A left-to-right reader over one line of user input that knows its column, so that every
 * parser reports the same kind of {@link SyntaxError}: input, column, what was expected.
 */
public final class TextCursor {

    private final String text;
    private final int end;
    private int pos;

    public TextCursor(String text) {
        this(text, 0, text.length());
    }

    private TextCursor(String text, int start, int end) {
        this.text = text;
        this.pos = start;
        this.end = end;
    }

    /**
     * A cursor over {@code text[from, to)} whose positions and errors still count columns in
     * the whole text, so that a parser of one token reports where the user sees it.
     */
    public TextCursor slice(int from, int to) {
        return new TextCursor(text, from, to);
    }

    public String text() {
        return text;
    }

    /** 0-based index of the next character. */
    public int position() {
        return pos;
    }

    public boolean atEnd() {
        return pos >= end;
    }

    public int peek() {
        return atEnd() ? -1 : text.charAt(pos);
    }

    public boolean accept(char c) {
        if (peek() == c) {
            pos++;
            return true;
        }
        return false;
    }

    public void expect(char c, String what) {
        if (!accept(c)) {
            throw error(what);
        }
    }

    public void expectEnd(String what) {
        if (!atEnd()) {
            throw error(what);
        }
    }

    /** Reads characters up to (not including) any of {@code stops} or the end. */
    public String until(String stops) {
        int start = pos;
        while (!atEnd() && stops.indexOf(text.charAt(pos)) < 0) {
            pos++;
        }
        return text.substring(start, pos);
    }

    /**
     * Reads 1 to {@code maxDigits} hex digits as a number no larger than {@code max}; stops at
     * the first non-hex character.
     */
    public int hex(int maxDigits, int max, String what) {
        int start = pos;
        long value = 0;
        while (!atEnd() && Character.digit(text.charAt(pos), 16) >= 0) {
            if (pos - start == maxDigits) {
                throw error(what);
            }
            value = value * 16 + Character.digit(text.charAt(pos), 16);
            pos++;
        }
        if (pos == start) {
            throw error(what);
        }
        if (value > max) {
            throw errorAt(start, what);
        }
        return (int) value;
    }

    public SyntaxError error(String expected) {
        return errorAt(pos, expected);
    }

    public SyntaxError errorAt(int index, String expected) {
        return new SyntaxError(text, index + 1, expected);
    }
}
