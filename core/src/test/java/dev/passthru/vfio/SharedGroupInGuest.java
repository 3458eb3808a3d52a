package dev.passthru.vfio;

import dev.passthru.host.HostFunction;
import dev.passthru.host.Inventory;
import dev.passthru.host.sysfs.SysfsSource;
import dev.passthru.pci.PciAddress;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Run inside VfioGuestTest's second guest, where two edu functions sit behind a conventional PCI
 * bridge and so share one IOMMU group: both are opened through VfioSource at once (one group,
 * one container); each is reset as VFIO best can; a buffer mapped for DMA through the first is
 * what the second's DMA engine copies from and into, as the container is theirs together; the
 * second still works once the first is released. Usage: SharedGroupInGuest BDF BDF; prints
 * PT-GROUP lines.
 */
public final class SharedGroupInGuest {

    private static final long IOVA = 0x20_0000;
    private static final long EDU_BUFFER = 0x4_0000;

    private SharedGroupInGuest() {
    }

    public static void main(String[] args) throws InterruptedException {
        VfioCalls calls = new ForeignVfioCalls();
        Inventory inventory = new VfioSource(SysfsSource.DEFAULT_ROOT, calls).scan();
        VfioHandle first = handle(inventory, args[0]);
        VfioHandle second = handle(inventory, args[1]);
        System.out.println("PT-GROUP-OPENED " + inventory.functions().size() + " problems " + inventory.problems());
        VfioDevice a = first.device();
        VfioDevice b = second.device();
        System.out.println("PT-GROUP-RESET " + a.reset().said() + " | " + b.reset().said());
        long buffer = calls.allocate(8192);
        byte[] pattern = Arrays.copyOf("one container for the two functions of a group".getBytes(StandardCharsets.US_ASCII), 64);
        calls.copyIn(buffer, pattern);
        a.mapDma(buffer, IOVA, 8192);
        System.out.println("PT-GROUP-MAPPINGS " + a.dmaMappings().size() + " " + b.dmaMappings().size());
        b.write(Vfio.PCI_CONFIG_REGION_INDEX, 4, 2, b.read(Vfio.PCI_CONFIG_REGION_INDEX, 4, 2) | 0x6);
        EduDmaCheck.dma(b, IOVA, EDU_BUFFER, 1);
        EduDmaCheck.dma(b, EDU_BUFFER, IOVA + 4096, 3);
        byte[] back = new byte[64];
        calls.copyOut(buffer + 4096, back);
        System.out.println("PT-GROUP-DMA " + (Arrays.equals(back, pattern) ? "same" : "different"));
        a.unmapDma(IOVA, 8192);
        first.release();
        System.out.println("PT-GROUP-SECOND-AFTER-FIRST-RELEASED " + Long.toHexString(b.read(0, 0, 4)));
        second.release();
        System.out.println("PT-GROUP-RELEASED");
    }

    private static VfioHandle handle(Inventory inventory, String bdf) {
        PciAddress address = PciAddress.parse(bdf);
        HostFunction f = inventory.functions().stream().filter(x -> x.address().equals(address)).findFirst()
                .orElseThrow(() -> new AssertionError(bdf + " not listed: " + inventory.problems()));
        return ((VfioHostConfig) f.config()).handle();
    }
}
