package dev.passthru.vfio;

import dev.passthru.pci.PciAddress;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Run inside the VFIO test guest (VfioGuestTest): a DMA round trip through VfioDevice with
 * QEMU's edu. A buffer of this process is mapped for the device at IOVA 0x100000; edu's DMA
 * engine copies 64 bytes from it into its own buffer, then back into the buffer's second page;
 * the bytes must come back the same. Also edu's factorial register: 5! = 120.
 * Usage: EduDmaCheck BDF GROUP; prints PT-FACTORIAL and PT-DMA lines.
 */
public final class EduDmaCheck {

    private static final long IOVA = 0x10_0000;
    private static final long EDU_BUFFER = 0x4_0000;

    private EduDmaCheck() {
    }

    public static void main(String[] args) throws InterruptedException {
        VfioCalls calls = new ForeignVfioCalls();
        try (VfioDevice edu = VfioDevice.open(calls, PciAddress.parse(args[0]), args[1])) {
            edu.write(0, 0x08, 4, 5);
            while ((edu.read(0, 0x20, 4) & 1) != 0) {
                Thread.sleep(1);
            }
            System.out.println("PT-FACTORIAL " + edu.read(0, 0x08, 4));
            System.out.println("PT-MMAP " + edu.mappedBar(0) + " " + Long.toHexString(edu.read(0, 0, 4)));
            // Bus mastering on, or the device's DMA goes nowhere (vfio-pci leaves it off at open).
            edu.write(Vfio.PCI_CONFIG_REGION_INDEX, 4, 2, edu.read(Vfio.PCI_CONFIG_REGION_INDEX, 4, 2) | 0x6);
            long buffer = calls.allocate(8192);
            byte[] pattern = Arrays.copyOf("passthru DMA round trip through VFIO and edu".getBytes(StandardCharsets.US_ASCII), 64);
            calls.copyIn(buffer, pattern);
            edu.mapDma(buffer, IOVA, 8192);
            dma(edu, IOVA, EDU_BUFFER, 1);
            dma(edu, EDU_BUFFER, IOVA + 4096, 3);
            byte[] back = new byte[64];
            calls.copyOut(buffer + 4096, back);
            System.out.println("PT-DMA " + (Arrays.equals(back, pattern) ? "same" : "different") + " '"
                    + new String(back, StandardCharsets.US_ASCII).trim() + "'");
            edu.unmapDma(IOVA, 8192);
        }
    }

    /** One DMA transfer of 64 bytes, registers written 4 bytes at a time as edu takes them; {@code command} 1: to edu, 3: from edu. */
    static void dma(VfioDevice edu, long source, long destination, int command) throws InterruptedException {
        edu.write(0, 0x80, 4, source);
        edu.write(0, 0x88, 4, destination);
        edu.write(0, 0x90, 4, 64);
        edu.write(0, 0x98, 4, command);
        // edu runs a transfer 100 ms of virtual time after the command; wait for its run bit to drop.
        Thread.sleep(150);
        for (int i = 0; i < 5000 && (edu.read(0, 0x98, 4) & 1) != 0; i++) {
            Thread.sleep(1);
        }
    }
}
