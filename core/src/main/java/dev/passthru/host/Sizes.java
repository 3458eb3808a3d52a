package dev.passthru.host;

import dev.passthru.SyntaxError;
import dev.passthru.TextCursor;

/** Byte sizes as people and lspci write them: {@code 4K}, {@code 16M}, {@code 128G}, {@code 0x1000}. */
public final class Sizes {

    private static final String UNITS = "KMGTPE";

    private Sizes() {
    }

    /** lspci's form: the largest unit that divides the size exactly ({@code 512K}, {@code 32}). */
    public static String format(long size) {
        if (size <= 0) {
            return Long.toString(size);
        }
        int unit = 0;
        while (unit < UNITS.length() && (size & 1023) == 0) {
            size >>>= 10;
            unit++;
        }
        return unit == 0 ? Long.toString(size) : size + String.valueOf(UNITS.charAt(unit - 1));
    }

    /**
     * Parses a decimal number with an optional binary unit K, M, G, T, P or E (case-insensitive,
     * an optional trailing B or iB), or a hex number {@code 0x...}.
     */
    public static long parse(String text) {
        TextCursor cursor = new TextCursor(text);
        String trimmed = text.strip();
        if (trimmed.startsWith("0x") || trimmed.startsWith("0X")) {
            try {
                long value = Long.parseUnsignedLong(trimmed.substring(2), 16);
                if (value < 0) {
                    throw new NumberFormatException();
                }
                return value;
            } catch (NumberFormatException e) {
                throw new SyntaxError(text, 3, "hex digits of a size below 2^63");
            }
        }
        int digits = 0;
        while (digits < text.length() && Character.isDigit(text.charAt(digits))) {
            digits++;
        }
        if (digits == 0) {
            throw cursor.error("a size such as 4096, 4K, 16M, 128G or 0x1000");
        }
        long value;
        try {
            value = Long.parseLong(text.substring(0, digits));
        } catch (NumberFormatException e) {
            throw cursor.error("a size below 2^63");
        }
        String suffix = text.substring(digits);
        if (suffix.isEmpty()) {
            return value;
        }
        int unit = UNITS.indexOf(Character.toUpperCase(suffix.charAt(0)));
        String rest = suffix.substring(1);
        if (unit < 0 || !(rest.isEmpty() || rest.equalsIgnoreCase("B") || rest.equalsIgnoreCase("iB"))) {
            throw cursor.slice(digits, text.length()).error("a unit K, M, G, T, P or E");
        }
        int shift = 10 * (unit + 1);
        if (Long.numberOfLeadingZeros(value) <= shift) {
            throw cursor.error("a size below 2^63");
        }
        return value << shift;
    }
}
