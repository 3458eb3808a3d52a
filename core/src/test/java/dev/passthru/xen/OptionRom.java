package dev.passthru.xen;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * An expansion ROM image that Linux reads (PCI firmware spec 3.0 section 5.1: the 0x55 0xAA
 * signature, a PCI data structure "PCIR" naming the device, its length, last-image indicator)
 * and that no firmware runs: its code type is EFI (3), which SeaBIOS skips. The rest is random.
 */
final class OptionRom {

    private static final int PCIR = 0x1c;
    private static final int CODE_TYPE_EFI = 3;
    private static final int LAST_IMAGE = 0x80;

    private OptionRom() {
    }

    static byte[] image(int size, int vendor, int device, Random random) {
        byte[] rom = new byte[size];
        random.nextBytes(rom);
        ByteBuffer b = ByteBuffer.wrap(rom).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) 0x55).put(1, (byte) 0xaa).put(2, (byte) (size / 512));
        b.putShort(0x18, (short) PCIR);
        b.put(PCIR, "PCIR".getBytes(StandardCharsets.US_ASCII));
        b.putShort(PCIR + 4, (short) vendor).putShort(PCIR + 6, (short) device).putShort(PCIR + 8, (short) 0)
                .putShort(PCIR + 10, (short) 0x18).put(PCIR + 12, (byte) 0);
        b.put(PCIR + 13, (byte) 1).put(PCIR + 14, (byte) 6).put(PCIR + 15, (byte) 1);
        b.putShort(PCIR + 16, (short) (size / 512)).putShort(PCIR + 18, (short) 1);
        b.put(PCIR + 20, (byte) CODE_TYPE_EFI).put(PCIR + 21, (byte) LAST_IMAGE).putShort(PCIR + 22, (short) 0);
        return rom;
    }
}
