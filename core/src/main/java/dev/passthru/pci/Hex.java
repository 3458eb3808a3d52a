package dev.passthru.pci;

/**
 * Fixed-width lower-case hex, as lspci prints IDs and addresses. Used where thousands of
 * lines are printed in a short-lived process, where {@code String.format} costs too much.
 */
public final class Hex {

    private static final char[] DIGITS = "0123456789abcdef".toCharArray();

    private Hex() {
    }

    /** Appends the low {@code digits} nibbles of {@code value}, zero-padded. */
    public static StringBuilder append(StringBuilder out, long value, int digits) {
        for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) {
            out.append(DIGITS[(int) (value >>> shift) & 0xf]);
        }
        return out;
    }
}
