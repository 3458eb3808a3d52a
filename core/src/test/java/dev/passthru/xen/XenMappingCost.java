package dev.passthru.xen;

import dev.passthru.hypervisor.MmioRange;
import dev.passthru.hypervisor.PageSize;

/**
 * Run in dom0 by XenGuestTest: what mapping a 128 MiB range into a domain costs on real Xen for
 * several sizes of one xc_domain_memory_mapping call (map, then unmap). The machine frames are
 * above the emulated machine's RAM and devices, the guest frames above the guest's.
 */
public final class XenMappingCost {

    private static final long FRAMES = 1L << 15;
    private static final long FIRST_FRAME = 0x400_0000L;

    private XenMappingCost() {
    }

    public static void main(String[] args) {
        int domain = Integer.parseInt(args[0]);
        try (ForeignXenControl xen = new ForeignXenControl()) {
            for (long perCall : new long[] {64, 512, 4096, FRAMES}) {
                XenHypervisor hypervisor = new XenHypervisor(xen, perCall);
                MmioRange range = new MmioRange(FIRST_FRAME, FIRST_FRAME, FRAMES / PageSize.SIZE_2M.frames(), PageSize.SIZE_2M);
                long start = System.nanoTime();
                hypervisor.mapMmio(domain, range);
                long mapped = System.nanoTime();
                long mapCalls = hypervisor.mappingCalls();
                hypervisor.unmapMmio(domain, range);
                long unmapped = System.nanoTime();
                System.out.printf("PT-COST 128 MiB, %d frames per call: map %d calls %.1f ms, unmap %d calls %.1f ms%n", perCall,
                        mapCalls, (mapped - start) / 1e6, hypervisor.mappingCalls() - mapCalls, (unmapped - mapped) / 1e6);
            }
        }
    }
}
