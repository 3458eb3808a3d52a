package dev.passthru.dump;

import dev.passthru.pci.PciAddress;

/**
 * Writes config bytes in the form {@code lspci -xxxx} prints them, which {@code lspci -F FILE}
 * reads back: a title line, then rows of 16 bytes with 2-digit offsets below 0x100 and 3-digit
 * ones above, then a blank line.
 */
public final class LspciDumpWriter {

    private LspciDumpWriter() {
    }

    /**
     * @param bytes config bytes from offset 0; a trailing partial row is left out, as lspci's
     *              reader only takes whole rows
     */
    public static void write(StringBuilder out, PciAddress address, String description, byte[] bytes) {
        out.append(address.domain() == 0 ? address.shortForm() : address.toString())
                .append(' ')
                .append(description.isBlank() ? "Device" : description)
                .append('\n');
        for (int row = 0; row + 16 <= bytes.length; row += 16) {
            out.append(String.format(row < 0x100 ? "%02x:" : "%03x:", row));
            for (int i = 0; i < 16; i++) {
                out.append(' ').append(Character.forDigit((bytes[row + i] >> 4) & 0xf, 16))
                        .append(Character.forDigit(bytes[row + i] & 0xf, 16));
            }
            out.append('\n');
        }
        out.append('\n');
    }
}
