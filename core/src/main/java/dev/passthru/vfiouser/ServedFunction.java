package dev.passthru.vfiouser;

import dev.passthru.InputError;
import dev.passthru.config.CapabilityChain;
import dev.passthru.config.CapabilityWalker;
import dev.passthru.config.HostCapability;
import dev.passthru.config.ConfigOptions;
import dev.passthru.device.AttachRequest;
import dev.passthru.device.DetachReport;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.device.Placement;
import dev.passthru.host.Assignability;
import dev.passthru.device.TrappedRegion;
import dev.passthru.host.BarKind;
import dev.passthru.host.HostBar;
import dev.passthru.host.HostFunction;
import dev.passthru.pci.PciAddress;
import dev.passthru.vfio.VfioDevice;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static dev.passthru.pci.CapabilityIds.PCI_CAP_ID_MSI;
import static dev.passthru.pci.CapabilityIds.PCI_CAP_ID_MSIX;
import static dev.passthru.pci.PciRegs.PCI_MSIX_FLAGS;
import static dev.passthru.pci.PciRegs.PCI_MSIX_FLAGS_QSIZE;
import static dev.passthru.pci.PciRegs.PCI_MSI_FLAGS;
import static dev.passthru.pci.PciRegs.PCI_MSI_FLAGS_QMASK;

/**
 * One pass-through function as a vfio-user server shows it, kept from one client connection
 * to the next: its regions (BARs 0-5, the ROM, the 4 KiB config space, no VGA) with what of
 * each the client may map, its interrupt indexes, and region reads and writes, which go to the
 * device model ({@link PassthroughDevice}: config mediated, MSI-X table emulated, the rest of
 * each BAR to the host function). Where the host function is a VFIO device whose BAR the
 * kernel lets be mapped, the parts of that BAR passthru does not trap are offered to the client
 * as sparse mmap areas of the VFIO device's own descriptor, so the guest reaches them with no
 * message at all.
 */
public final class ServedFunction {

    private static final long PAGE = 4096;

    /** What region {@code index} is, as GET_REGION_INFO says it; {@code fd} -1 where nothing is mappable. */
    record Region(int index, int flags, long size, long offset, int fd, List<Area> areas) {
    }

    /** A mappable part of a region: {@code offset} from the region's start (added to the region's file offset). */
    record Area(long offset, long size) {
    }

    /** An interrupt index: its GET_IRQ_INFO flags and vectors. */
    record Irq(int index, int flags, int count) {
    }

    /** Where the function sits on the client's bus is the client's to say; the device model needs an address. */
    private static final PciAddress GUEST = PciAddress.parse("0000:00:00.0");

    private final PassthroughDevice device;
    private final @Nullable VfioDevice vfio;
    /** What was done to the host function before it was served, as a report says it. */
    private final String attachReset;
    private final Region[] regions = new Region[VfioUser.PCI_NUM_REGIONS];
    private final Irq[] irqs = new Irq[VfioUser.PCI_NUM_IRQS];

    /**
     * Attaches {@code host} to be served: the device model made over it with the interrupts left
     * to the client and the client as the hypervisor; a VFIO function's device is opened.
     *
     * @throws InputError where the verdict says, or the reset before attach failed the function may not be given
     */
    public static ServedFunction attach(HostFunction host, ConfigOptions options, Assignability.Verdict verdict) {
        VfioDevice vfio = ClientRoutedConfig.vfio(host);
        HostFunction routed = ClientRoutedConfig.routedByClient(host);
        if (!verdict.assignable()) {
            throw new InputError(host.address() + " cannot be given to a guest: " + verdict.reason());
        }
        String reset = routed.config().resetForGuest().orElse("not reset: the source holds nothing to reset");
        try {
            PassthroughDevice device = PassthroughDevice.attach(new ClientSideHypervisor(),
                    new AttachRequest(0, GUEST, routed, options, Placement.NONE), verdict);
            return new ServedFunction(device, vfio, reset);
        } catch (RuntimeException e) {
            routed.config().release();
            throw e;
        }
    }

    ServedFunction(PassthroughDevice device, @Nullable VfioDevice vfio, String attachReset) {
        this.device = device;
        this.vfio = vfio;
        this.attachReset = attachReset;
        HostFunction function = device.function();
        for (int index = 0; index < VfioUser.PCI_NUM_REGIONS; index++) {
            regions[index] = describe(function, index);
        }
        CapabilityChain chain = CapabilityWalker.walk(function.config());
        int msi = chain.find(PCI_CAP_ID_MSI).map(HostCapability::offset)
                .map(at -> 1 << ((function.config().read(at + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_QMASK) >> 1)).orElse(0);
        int msix = chain.find(PCI_CAP_ID_MSIX).map(HostCapability::offset)
                .map(at -> (function.config().read(at + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1).orElse(0);
        int vectors = VfioUser.IRQ_INFO_EVENTFD | VfioUser.IRQ_INFO_NORESIZE | VfioUser.IRQ_INFO_MASKABLE;
        irqs[VfioUser.INTX] = new Irq(VfioUser.INTX, VfioUser.IRQ_INFO_EVENTFD | VfioUser.IRQ_INFO_MASKABLE
                | VfioUser.IRQ_INFO_AUTOMASKED, function.header().interruptPin() != 0 ? 1 : 0);
        irqs[VfioUser.MSI] = new Irq(VfioUser.MSI, vectors, msi);
        irqs[VfioUser.MSIX] = new Irq(VfioUser.MSIX, vectors, msix);
        for (int index = VfioUser.MSIX + 1; index < VfioUser.PCI_NUM_IRQS; index++) {
            irqs[index] = new Irq(index, VfioUser.IRQ_INFO_EVENTFD, 0);
        }
    }

    private Region describe(HostFunction function, int index) {
        int readWrite = VfioUser.REGION_READ_FLAG | VfioUser.REGION_WRITE_FLAG;
        if (index == VfioUser.CONFIG_REGION) {
            return new Region(index, readWrite, function.config().size(), 0, -1, List.of());
        }
        if (index == VfioUser.ROM_REGION) {
            long size = function.bars().romSize();
            return new Region(index, size > 0 ? VfioUser.REGION_READ_FLAG : 0, size, 0, -1, List.of());
        }
        HostBar bar = index < VfioUser.ROM_REGION ? function.bars().bar(index).orElse(null) : null;
        if (bar == null) {
            return new Region(index, 0, 0, 0, -1, List.of());
        }
        VfioDevice direct = vfio;
        List<Area> areas = bar.kind() != BarKind.IO && direct != null && direct.mappedBar(index)
                ? mappable(bar, device.trappedRegions()) : List.of();
        if (direct == null || areas.isEmpty()) {
            return new Region(index, readWrite, bar.size(), 0, -1, List.of());
        }
        return new Region(index, readWrite | VfioUser.REGION_MMAP_FLAG | VfioUser.REGION_CAPS_FLAG, bar.size(),
                direct.regions().get(index).offset(), direct.deviceFd(), areas);
    }

    /** The BAR less its trapped parts (each widened to whole pages): the runs the client may map. */
    static List<Area> mappable(HostBar bar, List<TrappedRegion> trapped) {
        List<Area> areas = new ArrayList<>();
        long at = 0;
        List<TrappedRegion> mine = trapped.stream().filter(t -> t.bar() == bar.index())
                .sorted((a, b) -> Long.compare(a.offset(), b.offset())).toList();
        for (TrappedRegion t : mine) {
            long start = t.offset() & -PAGE;
            long end = (t.offset() + t.length() + PAGE - 1) & -PAGE;
            if (start > at) {
                areas.add(new Area(at, start - at));
            }
            at = Math.max(at, end);
        }
        if (at < bar.size()) {
            areas.add(new Area(at, bar.size() - at));
        }
        return List.copyOf(areas);
    }

    Region region(int index) {
        return regions[index];
    }

    Irq irq(int index) {
        return irqs[index];
    }

    @Nullable VfioDevice vfio() {
        return vfio;
    }

    PassthroughDevice device() {
        return device;
    }

    /**
     * Reads {@code into.length} bytes at {@code offset} of region {@code index}, in the widest
     * naturally aligned accesses (8 bytes at most, 4 in config space) the range allows.
     */
    void read(int index, long offset, byte[] into) {
        for (int at = 0; at < into.length; ) {
            int width = width(index, offset + at, into.length - at);
            long value = index == VfioUser.CONFIG_REGION ? device.configRead((int) (offset + at), width) & 0xffff_ffffL
                    : device.mmioRead(index, offset + at, width);
            for (int i = 0; i < width; i++) {
                into[at + i] = (byte) (value >>> (8 * i));
            }
            at += width;
        }
    }

    void write(int index, long offset, byte[] from, int fromOffset, int length) {
        for (int at = 0; at < length; ) {
            int width = width(index, offset + at, length - at);
            long value = 0;
            for (int i = width - 1; i >= 0; i--) {
                value = value << 8 | (from[fromOffset + at + i] & 0xffL);
            }
            if (index == VfioUser.CONFIG_REGION) {
                device.configWrite((int) (offset + at), width, (int) value);
            } else {
                device.mmioWrite(index, offset + at, width, value);
            }
            at += width;
        }
    }

    private static int width(int index, long offset, int left) {
        int widest = index == VfioUser.CONFIG_REGION ? 4 : 8;
        for (int width = widest; width > 1; width >>= 1) {
            if (left >= width && (offset & (width - 1)) == 0) {
                return width;
            }
        }
        return 1;
    }

    public PciAddress address() {
        return device.function().address();
    }

    /** One line for an operator: what is mapped by descriptor, the interrupt vectors, what a reset reaches. */
    public String describe() {
        List<String> direct = new ArrayList<>();
        for (Region r : regions) {
            if (!r.areas().isEmpty()) {
                direct.add("BAR " + r.index() + " (" + r.areas().size() + (r.areas().size() == 1 ? " area)" : " areas)"));
            }
        }
        return (direct.isEmpty() ? "every access by message" : "mapped by descriptor: " + String.join(", ", direct))
                + "; vectors: INTx " + irqs[VfioUser.INTX].count() + ", MSI " + irqs[VfioUser.MSI].count() + ", MSI-X "
                + irqs[VfioUser.MSIX].count() + "; at attach " + attachReset
                + (vfio != null ? "; DMA by VFIO_IOMMU_MAP_DMA" : "; no DMA (not a VFIO function)");
    }

    /** Takes the function back: the device model's state, and the host function's hold (the VFIO device closed). */
    public DetachReport detach() {
        return device.detach();
    }

    /** What giving the host function back did to it (a VFIO function's reset), once detached. */
    public Optional<String> released() {
        return device.released();
    }

    /** The guest reset the function: the virtual state, and the host function as VFIO best can. */
    String reset() {
        device.reset();
        VfioDevice direct = vfio;
        return "virtual state; host function " + (direct != null ? direct.reset().said() : "not reset: not a VFIO function");
    }
}
