package dev.passthru.bench;

import dev.passthru.config.ConfigOptions;
import dev.passthru.device.AttachRequest;
import dev.passthru.device.DetachReport;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.device.Placement;
import dev.passthru.host.Assignability;
import dev.passthru.host.HostFunction;
import dev.passthru.hypervisor.RamRange;
import dev.passthru.hypervisor.sim.SimulatedHypervisor;
import dev.passthru.pci.PciAddress;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.passthru.pci.PciRegs.*;

/**
 * The device lifecycle's figures, measured with a plain harness on the simulated hypervisor:
 * mapping, moving and unmapping the H100's 128 GiB BAR; attach+detach cycles of a function with
 * six BARs and 64 MSI-X vectors in use; and what 10,000 cycles leave behind. Run through
 * {@code bench/scripts/lifecycle-figures.sh}.
 */
public final class LifecycleFigures {

    private static final int DOMAIN = 1;
    private static final PciAddress GUEST = PciAddress.parse("0000:00:05.0");
    private static final Assignability.Verdict YES = new Assignability.Verdict(true, "");
    private static final List<RamRange> RAM = List.of(new RamRange(0, 0x8000_0000L), new RamRange(0x1_0000_0000L, 0x4_0000_0000L));

    private LifecycleFigures() {
    }

    public static void main(String[] args) {
        hugeBar();
        cycles();
    }

    /** Map, move and unmap BAR 2 (128 GiB, 64-bit prefetchable) of the recorded H100. */
    private static void hugeBar() {
        HostFunction h100 = ExampleFunctions.h100();
        SimulatedHypervisor hv = machine(h100);
        PassthroughDevice d = PassthroughDevice.attach(hv, request(h100, Placement.NONE), YES);
        int bar = PCI_BASE_ADDRESS_0 + 8;
        int rounds = 2000;
        long[][] nanos = new long[3][rounds];
        long[] ops = new long[3];
        for (int i = 0; i < rounds; i++) {
            long calls = hv.calls();
            long t0 = System.nanoTime();
            d.configWrite(bar, 4, 0x0000_000c);
            d.configWrite(bar + 4, 4, 0x100);
            d.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
            long t1 = System.nanoTime();
            long mapped = hv.calls();
            d.configWrite(bar + 4, 4, 0x200);
            long t2 = System.nanoTime();
            long moved = hv.calls();
            d.configWrite(PCI_COMMAND, 2, 0);
            long t3 = System.nanoTime();
            nanos[0][i] = t1 - t0;
            nanos[1][i] = t2 - t1;
            nanos[2][i] = t3 - t2;
            ops[0] = mapped - calls;
            ops[1] = moved - mapped;
            ops[2] = hv.calls() - moved;
        }
        d.detach();
        System.out.printf("128 GiB BAR (H100 BAR 2, guest 0x%x then 0x%x; the seed's 4 KiB loop: %,d calls each way)%n",
                0x100L << 32, 0x200L << 32, (128L << 30) / 4096);
        String[] steps = {"map (decode on)", "move", "unmap (decode off)"};
        for (int s = 0; s < 3; s++) {
            System.out.printf("  %-20s %3d hypervisor call(s), median %6.1f us (%d rounds)%n",
                    steps[s], ops[s], median(nanos[s]) / 1000.0, rounds);
        }
    }

    /** Attach, program and enable 64 MSI-X vectors, detach: time per cycle and what is left. */
    private static void cycles() {
        HostFunction function = ExampleFunctions.sixBars();
        SimulatedHypervisor hv = machine(function);
        int warm = 3000;
        int measured = 10_000;
        for (int i = 0; i < warm; i++) {
            cycle(hv, function);
        }
        int entriesBefore = hv.state().entries();
        long heapBefore = heapAfterGc();
        long callsBefore = hv.calls();
        long[] nanos = new long[measured];
        for (int i = 0; i < measured; i++) {
            long t0 = System.nanoTime();
            cycle(hv, function);
            nanos[i] = System.nanoTime() - t0;
        }
        long heapAfter = heapAfterGc();
        int entriesAfter = hv.state().entries();
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf("attach + 64 MSI-X vectors + detach (%s: 6 BARs, ROM, INTx), %,d cycles after %,d warm-up:%n",
                function.address(), measured, warm);
        System.out.printf("  %d hypervisor calls a cycle, median %.1f us, p99 %.1f us, max %.1f us%n",
                (hv.calls() - callsBefore) / measured, median(nanos) / 1000.0,
                sorted[(int) (measured * 0.99)] / 1000.0, sorted[measured - 1] / 1000.0);
        System.out.printf("  hypervisor table entries before/after: %d/%d; heap after GC before/after: %,d/%,d bytes (%+,d)%n",
                entriesBefore, entriesAfter, heapBefore, heapAfter, heapAfter - heapBefore);
    }

    private static void cycle(SimulatedHypervisor hv, HostFunction function) {
        PassthroughDevice d = PassthroughDevice.attach(hv, request(function, new Placement(Map.of(
                0, 0xd000_0000L, 1, 0xd001_0000L, 2, 0xc000L, 3, 0xd002_0000L, 4, 0xd010_0000L, 5, 0xd020_0000L),
                0xd030_0000L, true, true, true)), YES);
        for (int entry = 0; entry < 64; entry++) {
            int at = entry * PCI_MSIX_ENTRY_SIZE;
            d.mmioWrite(1, at + PCI_MSIX_ENTRY_LOWER_ADDR, 8, 0xfee0_0000L);
            d.mmioWrite(1, at + PCI_MSIX_ENTRY_DATA, 4, 0x40 + entry);
            d.mmioWrite(1, at + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
        }
        d.configWrite(0x40 + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
        DetachReport report = d.detach();
        if (!report.clean()) {
            throw new IllegalStateException("detach left " + report.failures());
        }
    }

    private static SimulatedHypervisor machine(HostFunction function) {
        SimulatedHypervisor hv = new SimulatedHypervisor();
        hv.addMachineFunction(function.address(), function.bars());
        hv.createDomain(DOMAIN, RAM);
        return hv;
    }

    private static AttachRequest request(HostFunction function, Placement placement) {
        return new AttachRequest(DOMAIN, GUEST, function, ConfigOptions.DEFAULT, placement);
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static long heapAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
