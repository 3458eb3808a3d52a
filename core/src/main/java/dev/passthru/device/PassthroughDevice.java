package dev.passthru.device;

import dev.passthru.InputError;
import dev.passthru.config.ConfigChanges;
import dev.passthru.config.VirtualConfigSpace;
import dev.passthru.host.Assignability;
import dev.passthru.host.BarMemory;
import dev.passthru.host.BarKind;
import dev.passthru.host.HostBar;
import dev.passthru.host.HostFunction;
import dev.passthru.hypervisor.Hypervisor;
import dev.passthru.hypervisor.HypervisorException;
import dev.passthru.hypervisor.MmioRange;
import dev.passthru.log.RateLimitedLog;
import dev.passthru.pci.PciAddress;
import org.jspecify.annotations.Nullable;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.passthru.pci.PciRegs.*;

/**
 * One host function given to a guest: its virtual config space, its MSI-X table, and what the
 * hypervisor maps and routes for it. Guest accesses come in through {@link #configRead},
 * {@link #configWrite}, {@link #mmioRead} and {@link #mmioWrite}; a write that changes decode,
 * a BAR, the ROM, INTx, MSI or an MSI-X entry is applied through the hypervisor at once. Guest
 * accesses never throw: what the hypervisor refuses is logged at a rate limit and left undone.
 * Attach and detach are transactions: see {@link #attach} and {@link #detach}. Accesses and
 * detach hold the device's lock, so that several vCPUs and a detaching thread see no torn
 * state; the hypervisor and the bus are called under it, never the other way round.
 */
public final class PassthroughDevice {

    /** Changes that move what is mapped: BARs, the ROM, decode. */
    private static final int BAR_CHANGES = ConfigChanges.ALL_BARS | ConfigChanges.ROM | ConfigChanges.DECODE;
    /** Changes that move what is routed: INTx, MSI, MSI-X. */
    private static final int INTERRUPT_CHANGES = ConfigChanges.INTX | ConfigChanges.MSI | ConfigChanges.MSIX;

    private static final RateLimitedLog LOG = RateLimitedLog.of(PassthroughDevice.class.getName());

    private final Hypervisor hypervisor;
    private final int domain;
    private final PciAddress guest;
    private final HostFunction function;
    private final VirtualConfigSpace config;
    private final @Nullable MsixLayout msix;
    private final @Nullable MsixTable table;
    private final BarMappings bars;
    private final InterruptRouting interrupts;
    private final List<TrappedRegion> trapped;
    private final @Nullable PowerStates power;
    private boolean assigned;
    private DeviceState state = DeviceState.ATTACHED;
    /** What giving the host function back did to it (see {@link #released}). */
    private Optional<String> released = Optional.empty();
    /** MSI-X table writes that changed it: with the config space's version, when there is a new image to keep. */
    private long tableWrites;

    private PassthroughDevice(Hypervisor hypervisor, AttachRequest request) {
        this.hypervisor = hypervisor;
        this.domain = request.domain();
        this.guest = request.guest();
        this.function = request.function();
        this.config = VirtualConfigSpace.create(function.config(), function.bars(), request.options());
        int cap = config.msixCapability();
        this.msix = cap != 0 ? MsixLayout.read(function.config(), cap) : null;
        this.table = msix != null ? new MsixTable(msix.entries()) : null;
        boolean romCopied = function.bars().hasRom() && function.memory().copyRom();
        this.bars = new BarMappings(hypervisor, domain, function.bars(), msix, romCopied);
        this.trapped = computeTrapped(romCopied);
        this.power = request.options().powerManagement() && config.powerManagementCapability() != 0
                ? new PowerStates(function, config.powerManagementCapability()) : null;
        this.interrupts = new InterruptRouting(hypervisor, domain, function.address(), guest,
                function.header().interruptPin(), function.binding().irq().orElse(0),
                msix != null ? msix.entries() : 0, function.config().interrupts(), request.hostInterrupts());
    }

    /**
     * Gives the function to the guest: checks it may be given, assigns it to the domain, puts
     * it where the placement says, maps what that placement decodes, and routes its INTx. If a
     * hypervisor call fails, everything done so far is undone in reverse order (the take-down
     * of {@link #detach} is exactly that order) and the hypervisor is as before;
     * {@link AttachFailed} names the first cause.
     *
     * @throws InputError   when the verdict says the function may not be given
     * @throws AttachFailed when the hypervisor refused a step
     */
    public static PassthroughDevice attach(Hypervisor hypervisor, AttachRequest request, Assignability.Verdict verdict) {
        if (!verdict.assignable()) {
            throw new InputError(request.function().address() + " cannot be given to a guest: " + verdict.reason());
        }
        PassthroughDevice device = new PassthroughDevice(hypervisor, request);
        device.checkPlacement(request.placement());
        try {
            hypervisor.assignDevice(device.domain, device.function.address());
            device.assigned = true;
            device.place(request.placement());
            Failures strict = Failures.strict();
            device.bars.sync(device.config, strict);
            device.interrupts.mapIntx(strict);
            device.interrupts.sync(device.config, device.table, true, strict);
            return device;
        } catch (HypervisorException e) {
            AttachFailed failed = new AttachFailed("attach " + device.function.address() + " to domain "
                    + device.domain + " as " + device.guest, e);
            DetachReport undo = device.detach();
            undo.failures().forEach(f -> failed.addSuppressed(new IllegalStateException("undo: " + f)));
            throw failed;
        }
    }

    /**
     * Takes over a function that an earlier device model attached and the guest has used since:
     * shows the guest the registers of {@code image} and asks the hypervisor for the mappings and
     * routes they imply, which a hypervisor taking over (see {@code XenHypervisor.resume}) finds
     * it holds already. Nothing is placed and nothing reaches the host function. Unlike
     * {@link #attach}, a step the hypervisor refuses does not undo the rest: the guest is using
     * the function, so what can be had is kept, and each refusal is in the failures.
     *
     * @throws InputError when the image is not of this function's layout
     */
    public static Adopted adopt(Hypervisor hypervisor, AttachRequest request, DeviceImage image) {
        PassthroughDevice device = new PassthroughDevice(hypervisor, request);
        byte[] table = image.msixTableBytes();
        try {
            device.config.restore(image.configBytes());
            if (device.table != null) {
                device.table.restore(table);
            } else if (table.length != 0) {
                throw new IllegalArgumentException("an MSI-X table image for a function without MSI-X");
            }
        } catch (IllegalArgumentException e) {
            throw new InputError(request.function().address() + ": the kept image does not fit it: " + e.getMessage());
        }
        Failures failures = Failures.collecting();
        try {
            hypervisor.assignDevice(device.domain, device.function.address());
            device.assigned = true;
        } catch (HypervisorException e) {
            failures.failed(e);
        }
        device.bars.sync(device.config, failures);
        device.interrupts.mapIntx(failures);
        device.interrupts.sync(device.config, device.table, true, failures);
        List<String> messages = new ArrayList<>();
        failures.collected().forEach(e -> messages.add(e.getMessage()));
        return new Adopted(device, messages);
    }

    /** A function taken over, and what the hypervisor refused of it. */
    public record Adopted(PassthroughDevice device, List<String> failures) {
    }

    /** The guest's view of the function now, to be kept for {@link #adopt}. */
    public synchronized DeviceImage image() {
        return DeviceImage.of(config.image(), table != null ? table.image() : new byte[0]);
    }

    /** Grows whenever what {@link #image} returns may have changed. */
    public synchronized long imageVersion() {
        return config.version() + tableWrites;
    }

    /**
     * Takes everything down: MSI-X, MSI and INTx routes, then mappings, then the assignment.
     * A step that fails does not stop the others; the report lists every failure and the
     * function is left {@link DeviceState#NEEDS_CLEANUP}, and a later detach tries the steps
     * that remain.
     */
    public synchronized DetachReport detach() {
        if (state == DeviceState.DETACHED) {
            return new DetachReport(state, List.of());
        }
        Failures failures = Failures.collecting();
        interrupts.releaseAll(failures);
        bars.unmapAll(failures);
        List<String> messages = new ArrayList<>();
        failures.collected().forEach(e -> messages.add(e.getMessage()));
        if (assigned && (interrupts.anyHeld() || bars.anyMapped())) {
            messages.add(function.address() + " left assigned to domain " + domain
                    + ": its mappings or interrupts could not all be taken down");
        } else if (assigned) {
            try {
                hypervisor.deassignDevice(domain, function.address());
                assigned = false;
            } catch (HypervisorException e) {
                messages.add(e.getMessage());
            }
        }
        state = messages.isEmpty() ? DeviceState.DETACHED : DeviceState.NEEDS_CLEANUP;
        if (state == DeviceState.DETACHED) {
            released = function.config().release();
        }
        return new DetachReport(state, messages);
    }

    /**
     * The domain is gone and the hypervisor took back what it held for it (mappings, interrupts,
     * the assignment): forgets all of that without asking the hypervisor, turns the host
     * function's interrupts off and gives back the host side.
     */
    public synchronized DetachReport abandon() {
        if (state != DeviceState.DETACHED) {
            interrupts.forgetAll();
            bars.forgetAll();
            assigned = false;
            state = DeviceState.DETACHED;
            released = function.config().release();
        }
        return new DetachReport(state, List.of());
    }

    /**
     * What giving the host function back, once detached, did to it: a VFIO function's reset
     * ("reset: VFIO_DEVICE_RESET", "not reset: why"); empty before then, or where nothing was done.
     */
    public synchronized Optional<String> released() {
        return released;
    }

    private void checkPlacement(Placement placement) {
        for (int index : placement.bars().keySet()) {
            if (function.bars().bar(index).isEmpty()) {
                throw new InputError("placement of " + function.address() + ": it has no BAR " + index
                        + " (it has " + function.bars().bars().stream().map(b -> Integer.toString(b.index())).toList() + ")");
            }
        }
        if (placement.romAddress() != 0 && !function.bars().hasRom()) {
            throw new InputError("placement of " + function.address() + ": it has no expansion ROM");
        }
    }

    /** Writes the placement into the config space as firmware would; nothing is mapped yet. */
    private void place(Placement placement) {
        for (Map.Entry<Integer, Long> bar : placement.bars().entrySet()) {
            HostBar host = function.bars().bar(bar.getKey()).orElseThrow();
            int register = PCI_BASE_ADDRESS_0 + 4 * host.index();
            config.write(register, 4, (int) (long) bar.getValue());
            if (host.kind() == BarKind.MEM64) {
                config.write(register + 4, 4, (int) (bar.getValue() >>> 32));
            }
        }
        if (placement.romAddress() != 0) {
            config.write(PCI_ROM_ADDRESS, 4, (int) placement.romAddress() | (placement.romEnabled() ? PCI_ROM_ADDRESS_ENABLE : 0));
        }
        int command = config.read(PCI_COMMAND, 2);
        command |= (placement.memory() ? PCI_COMMAND_MEMORY : 0) | (placement.io() ? PCI_COMMAND_IO : 0);
        config.write(PCI_COMMAND, 2, command);
    }

    public synchronized int configRead(int offset, int width) {
        return config.read(offset, width);
    }

    /** A guest config write; the change set it made ({@link ConfigChanges}), for guest sides that follow BAR moves. */
    public synchronized int configWrite(int offset, int width, int value) {
        int changes = config.write(offset, width, value);
        if (changes != ConfigChanges.NONE && state == DeviceState.ATTACHED) {
            if ((changes & ConfigChanges.RESET) != 0) {
                String how = function.config().resetFunction().map(m -> "function reset (" + m + ") and virtual state")
                        .orElse("virtual state");
                LOG.log(Level.INFO, "%s: function-level reset asked; %s reset", guest, how);
                reset();
                return changes;
            }
            int reconcile = changes;
            if ((changes & ConfigChanges.POWER) != 0) {
                followPowerState();
                // a soft reset took every route down: all of them are made again
                reconcile |= INTERRUPT_CHANGES;
            }
            sync(reconcile);
        }
        return changes;
    }

    /**
     * Reconciles what the change set names, and only that, with the config space: a write that
     * moved a BAR or turned decode on or off re-syncs the mappings, one that changed INTx, MSI or
     * MSI-X re-syncs the routes (every MSI-X entry only when the enable or the function mask
     * changed; a table write reprograms its own entry, see {@link #mmioWrite}).
     */
    private void sync(int changes) {
        Failures failures = Failures.collecting();
        if ((changes & BAR_CHANGES) != 0) {
            bars.sync(config, failures);
        }
        if ((changes & INTERRUPT_CHANGES) != 0) {
            interrupts.sync(config, table, (changes & ConfigChanges.MSIX) != 0, failures);
        }
        log(failures);
    }

    /** The guest wrote the host's power state: if that soft-reset the function, its interrupts are set up again. */
    private void followPowerState() {
        if (power != null && power.written()) {
            Failures failures = Failures.collecting();
            interrupts.releaseAll(failures);
            interrupts.mapIntx(failures);
            log(failures);
        }
    }

    /**
     * Puts the virtual config space and MSI-X table back as after reset (decode off, BARs
     * unplaced, interrupts off) and takes down what that turns off. The host function itself
     * is the host backend's to reset.
     */
    public synchronized void reset() {
        config.reset();
        if (table != null) {
            table.reset();
        }
        if (state == DeviceState.ATTACHED) {
            sync();
        }
    }

    /** Reconciles everything: after a reset, and when the function is attached. */
    private void sync() {
        sync(BAR_CHANGES | INTERRUPT_CHANGES);
    }

    /**
     * A trapped read in BAR {@code bar}: the MSI-X table, the PBA, or the host's registers. An
     * access that runs over the edge of the table or PBA reads all-ones (CVE-2020-13754).
     */
    public synchronized long mmioRead(int bar, long offset, int width) {
        if (!validWidth(width) || msix != null && msix.straddles(bar, offset, width)) {
            return -1L;
        }
        if (msix != null && table != null && msix.inTable(bar, offset)) {
            return table.read((int) (offset - msix.tableOffset()), width);
        }
        return function.memory().read(bar, offset, width);
    }

    /**
     * A trapped write in BAR {@code bar}; the PBA and the ROM are read-only, table writes are
     * applied at once, and one that runs over the edge of the table or PBA is dropped.
     */
    public synchronized void mmioWrite(int bar, long offset, int width, long value) {
        if (!validWidth(width) || bar == BarMemory.ROM
                || msix != null && (msix.inPba(bar, offset) || msix.straddles(bar, offset, width))) {
            return;
        }
        if (msix != null && table != null && msix.inTable(bar, offset)) {
            int at = (int) (offset - msix.tableOffset());
            boolean changed = table.write(at, width, value);
            if (changed) {
                tableWrites++;
            }
            if (changed && state == DeviceState.ATTACHED) {
                Failures failures = Failures.collecting();
                int last = Math.min(msix.entries() - 1, (at + width - 1) / PCI_MSIX_ENTRY_SIZE);
                for (int entry = at / PCI_MSIX_ENTRY_SIZE; entry <= last; entry++) {
                    interrupts.syncMsix(config, table, entry, failures);
                }
                log(failures);
            }
            return;
        }
        function.memory().write(bar, offset, width, value);
    }

    /**
     * The parts of the BARs (and of the ROM, index {@link BarMemory#ROM}, when the host backend
     * answers it from a copy) that are not mapped through and whose accesses must be trapped.
     */
    public List<TrappedRegion> trappedRegions() {
        return trapped;
    }

    /**
     * The BAR whose trapped part holds guest address {@code address} while it is decoded, or
     * -1: where the guest side sends an access it trapped.
     */
    public synchronized int trappedBar(long address) {
        for (TrappedRegion region : trapped) {
            long base = guestBarAddress(region.bar());
            if (decoded(region.bar()) && base != 0 && address - base >= region.offset()
                    && address - base < region.offset() + region.length()) {
                return region.bar();
            }
        }
        return -1;
    }

    /** The guest ranges of the trapped parts that the guest decodes now: what a guest side claims. */
    public synchronized List<GuestRange> decodedTrappedRanges() {
        List<GuestRange> ranges = new ArrayList<>(trapped.size());
        for (TrappedRegion region : trapped) {
            long base = guestBarAddress(region.bar());
            if (decoded(region.bar()) && base != 0) {
                ranges.add(new GuestRange(base + region.offset(), base + region.offset() + region.length() - 1));
            }
        }
        return ranges;
    }

    /**
     * The BAR (or {@link BarMemory#ROM}) whose decoded guest range holds {@code address} in
     * memory space ({@code memory}) or I/O space, or -1.
     */
    public synchronized int barAt(long address, boolean memory) {
        List<HostBar> bars = function.bars().bars();
        // By index: this runs on every BAR access a guest side forwards, and an iterator is an allocation.
        for (int i = 0; i < bars.size(); i++) {
            HostBar bar = bars.get(i);
            if (bar.kind().isMemory() == memory && (memory ? config.memoryDecode() : config.ioDecode())) {
                long base = config.barAddress(bar.index());
                if (base != 0 && address >= base && address - base < bar.size()) {
                    return bar.index();
                }
            }
        }
        long rom = config.romAddress();
        boolean inRom = memory && decoded(BarMemory.ROM) && rom != 0 && address >= rom && address - rom < function.bars().romSize();
        return inRom ? BarMemory.ROM : -1;
    }

    /** The guest address of BAR {@code index} (or of the ROM, {@link BarMemory#ROM}) as the guest programmed it. */
    public synchronized long guestBarAddress(int index) {
        return index == BarMemory.ROM ? config.romAddress() : config.barAddress(index);
    }

    private boolean decoded(int index) {
        return config.memoryDecode() && (index != BarMemory.ROM || config.romEnabled());
    }

    /** Sets the header's multi-function bit, which the bus decides for function 0 of a slot. */
    public synchronized void setMultiFunction(boolean multiFunction) {
        config.setMultiFunction(multiFunction);
    }

    private List<TrappedRegion> computeTrapped(boolean romCopied) {
        List<TrappedRegion> regions = new ArrayList<>();
        for (HostBar bar : function.bars().bars()) {
            BarSplit split = bars.split(bar.index());
            if (split != null) {
                split.trapped().forEach(s -> regions.add(new TrappedRegion(bar.index(), s.offset(), s.length())));
            }
        }
        if (romCopied) {
            regions.add(new TrappedRegion(BarMemory.ROM, 0, function.bars().romSize()));
        }
        return List.copyOf(regions);
    }

    /** The runs mapped now for BAR {@code index} (or {@link BarMappings#ROM}), in mapping order. */
    public synchronized List<MmioRange> mappedRuns(int index) {
        return bars.runs(index);
    }

    /** The first guest port I/O BAR {@code index} is mapped at now, -1 when it is not mapped. */
    public synchronized long mappedPorts(int index) {
        return bars.mappedAt(index);
    }

    public synchronized DeviceState state() {
        return state;
    }

    public PciAddress guestAddress() {
        return guest;
    }

    public HostFunction function() {
        return function;
    }

    public int domain() {
        return domain;
    }

    private static boolean validWidth(int width) {
        return width == 1 || width == 2 || width == 4 || width == 8;
    }

    private void log(Failures failures) {
        for (HypervisorException e : failures.collected()) {
            LOG.log(Level.WARNING, "%s (guest %s): %s; left undone", function.address(), guest, e.getMessage());
        }
    }
}
