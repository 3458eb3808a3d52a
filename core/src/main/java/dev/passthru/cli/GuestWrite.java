package dev.passthru.cli;

import dev.passthru.SyntaxError;
import dev.passthru.TextCursor;

/**
 * A config write given on the command line as setpci writes them: {@code OFF.W=VALUE}, with a
 * hex offset, a width of {@code b}, {@code w} or {@code l} (1, 2 or 4 bytes) and a hex value.
 */
record GuestWrite(int offset, int width, int value, String text) {

    static GuestWrite parse(String text) {
        TextCursor cursor = new TextCursor(text);
        int offset = cursor.hex(3, 0xfff, "a hex config offset 0-fff");
        cursor.expect('.', "'.' and a width b, w or l after the offset");
        int width = switch (cursor.peek()) {
            case 'b', 'B' -> 1;
            case 'w', 'W' -> 2;
            case 'l', 'L' -> 4;
            default -> throw cursor.error("a width b (byte), w (word) or l (dword)");
        };
        cursor.accept((char) cursor.peek());
        cursor.expect('=', "'=' before the value");
        int start = cursor.position();
        String digits = cursor.until("");
        if (digits.startsWith("0x") || digits.startsWith("0X")) {
            digits = digits.substring(2);
            start += 2;
        }
        long value;
        try {
            value = Long.parseLong(digits, 16);
        } catch (NumberFormatException e) {
            throw new SyntaxError(text, start + 1, "a hex value");
        }
        if (value >>> (8 * width) != 0) {
            throw new SyntaxError(text, start + 1, "a value that fits " + width + " byte" + (width > 1 ? "s" : ""));
        }
        return new GuestWrite(offset, width, (int) value, text);
    }
}
