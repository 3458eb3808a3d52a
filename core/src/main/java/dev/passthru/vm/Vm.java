package dev.passthru.vm;

import dev.passthru.InputError;
import dev.passthru.bus.EnumeratedFunction;
import dev.passthru.bus.GuestBus;
import dev.passthru.bus.GuestDomain;
import dev.passthru.bus.GuestSide;
import dev.passthru.bus.Presentation;
import dev.passthru.bus.SlotState;
import dev.passthru.config.CapabilityPolicy;
import dev.passthru.config.ConfigOptions;
import dev.passthru.device.AttachFailed;
import dev.passthru.device.DetachReport;
import dev.passthru.device.DeviceImage;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.host.Assignability;
import dev.passthru.host.HostFunction;
import dev.passthru.host.Inventory;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.SpecOptions;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One VM on any hypervisor: the guest's bus of slots, the VM's domain on its hypervisor
 * ({@link GuestDomain}: simulated, or a Xen domain) and a guest side (the built-in guest, a real
 * guest under QEMU, or a Xen HVM guest through an ioreq server), which reaches the functions
 * only through the bus. Slots are plugged before boot (cold-plug) or after it (hot-plug, which
 * the guest enumerates when the slot arrives), and unplugged at run time; when the domain is
 * gone, its functions are let go of without asking the hypervisor, which took them back.
 */
public final class Vm implements AutoCloseable {

    /** Makes the guest side once the bus and the domain exist. */
    public interface GuestSideFactory {
        GuestSide create(GuestBus bus, GuestDomain domain, long highRamEnd);
    }

    /**
     * How a function's detach went.
     *
     * @param domainGone whether its domain was gone, so that the hypervisor had taken back what it held
     * @param failures   steps that failed, the guest side's and the host's included
     * @param settled    what became of it on the host
     */
    public record Detached(PciAddress host, boolean domainGone, List<String> failures, GuestDomain.Settled settled) {

        public boolean clean() {
            return failures.isEmpty() && !settled.heldForGuest();
        }
    }

    private final VmConfig config;
    private final Inventory inventory;
    private final GuestDomain domain;
    private final Map<PciAddress, Assignability.Verdict> plain;
    private final Map<PciAddress, Assignability.Verdict> seized;
    private final Set<PciAddress> handedOver;
    private final GuestBus bus;
    private final GuestSide side;
    private final List<GuestFunctionReport> failures = new ArrayList<>();
    private final Map<PciAddress, VmConfig.Spec> specOf = new HashMap<>();
    private final Map<PciAddress, Long> attachTimes = new HashMap<>();
    private final Map<PciAddress, String> prepared = new HashMap<>();
    private final Map<PciAddress, EnumeratedFunction> enumerated = new HashMap<>();
    private final List<String> events = new ArrayList<>();
    private long attachNanos;
    private long enumerateNanos;
    private boolean abandoned;
    /** While {@link #resume} runs: the images of the functions taken over. */
    private final Map<PciAddress, DeviceImage> resuming = new HashMap<>();

    /**
     * A VM of {@code domain}; functions in {@code handedOver} count as bound to a pass-through
     * stub (xl's pci-assignable-add), as if seize=1 were given.
     */
    public Vm(VmConfig config, Inventory inventory, GuestDomain domain, GuestSideFactory guestSide, Set<PciAddress> handedOver) {
        this.config = config;
        this.inventory = inventory;
        this.domain = domain;
        this.handedOver = handedOver;
        this.plain = domain.verdicts(inventory, false);
        this.seized = domain.verdicts(inventory, true);
        this.bus = new GuestBus(domain.hypervisor(), domain.id(), config.firstHotplug(), config.lastHotplug());
        this.side = guestSide.create(bus, domain, GuestRam.highEnd(config.memoryMib() << 20));
    }

    /** Plugs the specs' functions, slot by slot, before the guest runs. */
    public void coldPlug(List<VmConfig.Spec> specs) {
        long start = System.nanoTime();
        for (SpecGroups.Group group : SpecGroups.of(specs, inventory, failures)) {
            plug(group);
        }
        attachNanos += System.nanoTime() - start;
    }

    /**
     * Takes over functions an earlier device model plugged for this domain, where that one left
     * them (the specs carry the slots it chose), each showing the guest the image it kept: the
     * guest is running and has used them. Nothing is done to the host functions, and what the
     * hypervisor refuses is noted in {@link #events} with each function kept as it is.
     */
    public void resume(List<VmConfig.Spec> specs, Map<PciAddress, DeviceImage> images) {
        resuming.putAll(images);
        try {
            coldPlug(specs);
        } finally {
            resuming.clear();
        }
    }

    /** The guest boots and enumerates every slot. */
    public void boot() {
        long start = System.nanoTime();
        remember(side.boot());
        enumerateNanos += System.nanoTime() - start;
    }

    /** Plugs a spec's functions into a running guest, which enumerates the slot when it arrives. */
    public void hotPlug(VmConfig.Spec spec) {
        List<GuestFunctionReport> before = new ArrayList<>(failures);
        for (SpecGroups.Group group : SpecGroups.of(List.of(spec), inventory, failures)) {
            long start = System.nanoTime();
            Integer slot = plug(group);
            attachNanos += System.nanoTime() - start;
            if (slot != null) {
                start = System.nanoTime();
                remember(side.arrived(slot));
                enumerateNanos += System.nanoTime() - start;
                events.add(String.format("hot-plug %s: %s into slot 0x%02x, enumerated by the guest", spec.text(),
                        String.join(", ", group.functions().stream().map(f -> f.address().toString()).toList()), slot));
            }
        }
        failures.stream().filter(f -> !before.contains(f))
                .forEach(f -> events.add("hot-plug " + spec.text() + ": " + f.host() + " not attached: " + f.failure()));
    }

    /**
     * The guest writes {@code value} to register {@code offset} of BAR {@code bar} of the
     * function in {@code slot}, then waits up to a second for interrupts it makes the function
     * raise, and notes how many reached the guest.
     */
    public void poke(int slot, int bar, long offset, long value) {
        PassthroughDevice device = bus.device(slot, 0);
        if (device == null) {
            throw new InputError(String.format("poke: slot 0x%02x holds no function", slot));
        }
        Map<Integer, Long> before = domain.injections();
        side.write(device, bar, offset, value);
        long deadline = System.nanoTime() + 1_000_000_000L;
        while (System.nanoTime() < deadline && domain.injections().equals(before)) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        List<String> injected = new ArrayList<>();
        domain.injections().forEach((pirq, count) -> {
            long more = count - before.getOrDefault(pirq, 0L);
            if (more > 0) {
                injected.add("pirq " + pirq + " x" + more);
            }
        });
        events.add(String.format("poke slot 0x%02x BAR %d +0x%x = 0x%x: %s", slot, bar, offset, value,
                injected.isEmpty() ? "no interrupt injected" : "interrupts injected: " + String.join(", ", injected)));
    }

    /** The guest writes its config space: function 0 of {@code slot}. */
    public void configWrite(int slot, int offset, int width, int value) {
        if (bus.device(slot, 0) == null) {
            throw new InputError(String.format("config: slot 0x%02x holds no function", slot));
        }
        bus.configWrite(slot, 0, offset, width, value);
        events.add(String.format("config slot 0x%02x 0x%02x/%d = 0x%x", slot, offset, width, value));
    }

    /** Unplugs a slot of the running guest; how each of its functions' detach went. */
    public List<Detached> unplug(int slot) {
        List<PassthroughDevice> devices = bus.devices().stream().filter(d -> d.guestAddress().device() == slot).toList();
        List<Detached> detached = takeDown(slot, devices, false);
        List<String> problems = detached.stream().flatMap(d -> d.failures().stream()).toList();
        events.add(String.format("hot-unplug slot 0x%02x: %s %s", slot, String.join(", ", devices.stream()
                .map(d -> d.function().address().toString()).toList()), problems.isEmpty() ? "detached" : "left work: " + problems));
        return detached;
    }

    /**
     * Takes every slot down without asking the guest side's guest (it is gone, or it is being
     * stopped), and notes why and how it went; how each function's detach went.
     */
    public List<Detached> detachAll(String why) {
        List<Detached> detached = new ArrayList<>();
        for (int slot = 1; slot < GuestBus.SLOTS; slot++) {
            if (bus.state(slot) == SlotState.PRESENT || bus.state(slot) == SlotState.NEEDS_CLEANUP) {
                int at = slot;
                detached.addAll(takeDown(slot, bus.devices().stream().filter(d -> d.guestAddress().device() == at).toList(), true));
            }
        }
        List<String> problems = detached.stream().flatMap(d -> d.failures().stream()).toList();
        events.add(why + "; every function detached" + (problems.isEmpty() ? "" : ", leaving work: " + problems));
        return detached;
    }

    /**
     * Detaches a slot's functions: the guest side stops serving them, then the bus takes them
     * down through the hypervisor and the domain settles each on the host. When the domain is
     * gone, the guest side and the functions let go of what is theirs instead, and the
     * hypervisor, which took the rest back itself, is not asked.
     */
    private List<Detached> takeDown(int slot, List<PassthroughDevice> devices, boolean evenStatic) {
        List<String> sideFailures = new ArrayList<>();
        boolean gone = domain.gone();
        if (gone) {
            abandon();
            bus.abandon(slot);
        } else {
            if (bus.state(slot) == SlotState.PRESENT) {
                try {
                    side.unplugging(slot, devices);
                } catch (RuntimeException e) {
                    sideFailures.add("the guest side did not let go: " + e.getMessage());
                }
            }
            List<DetachReport> reports = evenStatic ? bus.remove(slot) : bus.unplug(slot);
            reports.forEach(r -> sideFailures.addAll(r.failures()));
        }
        List<Detached> detached = new ArrayList<>();
        for (PassthroughDevice device : devices) {
            PciAddress host = device.function().address();
            enumerated.remove(host);
            GuestDomain.Settled settled = domain.settle(device.function());
            Optional<String> released = device.released();
            if (released.isPresent()) {
                events.add(host + " at detach: " + released.get());
                settled = new GuestDomain.Settled(settled.heldForGuest(), joined(settled.done(), released.get()),
                        settled.failures());
            }
            List<String> all = new ArrayList<>(sideFailures);
            all.addAll(settled.failures());
            detached.add(new Detached(host, gone, all, settled));
        }
        return detached;
    }

    /** The domain is gone: the guest side lets go of what serves it, once. */
    private void abandon() {
        if (!abandoned) {
            abandoned = true;
            side.abandon();
        }
    }

    /** Whether the VM's domain is gone (its guest powered off or was destroyed). */
    public boolean domainGone() {
        return abandoned || domain.gone();
    }

    /** Adds a line to what the run reports. */
    public void note(String line) {
        events.add(line);
    }

    public List<String> events() {
        return List.copyOf(events);
    }

    /** Readies a group's functions and plugs them; the slot, or null when it did not attach (reported). */
    private @Nullable Integer plug(SpecGroups.Group group) {
        List<GuestBus.Plug> plugs = new ArrayList<>();
        for (int i = 0; i < group.functions().size(); i++) {
            HostFunction f = group.functions().get(i);
            VmConfig.Spec spec = group.specs().get(i);
            specOf.put(f.address(), spec);
            SpecOptions options = merged(spec.spec().options(), config.defaults());
            GuestDomain.Prepared ready;
            Optional<String> reset;
            Presentation shown;
            try {
                boolean resumed = resuming.containsKey(f.address());
                ready = resumed ? domain.resume(f, options) : domain.prepare(f, options);
                shown = side.present(f);
                // the host source's own reset, where it holds the function (VFIO): a fresh attach's only,
                // after the domain took the function and before the guest sees it
                reset = resumed ? Optional.empty() : f.config().resetForGuest();
            } catch (InputError e) {
                failures.add(GuestFunctionReport.failed(f.address(), spec, why(e)));
                continue;
            }
            reset.ifPresent(r -> events.add(f.address() + " at attach: " + r));
            prepared.put(f.address(), joined(ready.done(), reset.orElse("")));
            shown.notes().forEach(note -> events.add(f.address() + ": " + note));
            int number = group.functions().size() == 1 ? 0 : f.address().function();
            plugs.add(new GuestBus.Plug(number, shown.function(), new ConfigOptions(options.effectivePermissive(),
                    options.effectivePowerMgmt(), CapabilityPolicy.DEFAULT),
                    Objects.requireNonNull((options.effectiveSeize() || handedOver.contains(f.address()) ? seized : plain)
                            .get(f.address()), "every function read is judged"),
                    ready.hostInterrupts(), resuming.get(f.address())));
        }
        if (plugs.isEmpty()) {
            return null;
        }
        long start = System.nanoTime();
        GuestBus.Placed placed;
        try {
            placed = bus.plug(group.slot(), plugs);
        } catch (InputError | AttachFailed e) {
            plugs.forEach(p -> failures.add(GuestFunctionReport.failed(p.host().address(), specOf(p.host().address()), why(e))));
            return null;
        }
        placed.failures().forEach(f -> events.add("take-over: " + f));
        long each = (System.nanoTime() - start) / plugs.size();
        plugs.forEach(p -> attachTimes.put(p.host().address(), each));
        try {
            side.plugged(placed.slot(), placed.devices());
        } catch (RuntimeException e) {
            bus.remove(placed.slot());
            plugs.forEach(p -> failures.add(GuestFunctionReport.failed(p.host().address(), specOf(p.host().address()),
                    "the guest side could not take it: " + why(e))));
            return null;
        }
        return placed.slot();
    }

    /** The spec that asked for a function this VM plugged. */
    private VmConfig.Spec specOf(PciAddress host) {
        return Objects.requireNonNull(specOf.get(host), "every function plugged was asked for by a spec");
    }

    /** Two things done to a function, either of which may be nothing (""). */
    private static String joined(String first, String second) {
        return first.isEmpty() ? second : second.isEmpty() ? first : first + "; " + second;
    }

    private static String why(RuntimeException e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    private void remember(List<EnumeratedFunction> found) {
        for (EnumeratedFunction f : found) {
            PassthroughDevice device = bus.device(f.device(), f.function());
            if (device != null) {
                enumerated.put(device.function().address(), f);
            }
        }
    }

    /** The spec's own options where it gives them, else the VM's defaults. */
    static SpecOptions merged(SpecOptions own, SpecOptions defaults) {
        return new SpecOptions(
                own.permissive() != null ? own.permissive() : defaults.permissive(),
                own.msitranslate() != null ? own.msitranslate() : defaults.msitranslate(),
                own.seize() != null ? own.seize() : defaults.seize(),
                own.powerMgmt() != null ? own.powerMgmt() : defaults.powerMgmt(),
                own.rdmPolicy() != null ? own.rdmPolicy() : defaults.rdmPolicy());
    }

    public VmConfig config() {
        return config;
    }

    public GuestDomain domain() {
        return domain;
    }

    public GuestSide side() {
        return side;
    }

    /** What was done to an attached function before it was given to the guest ("reset: flr"), or "". */
    public String prepared(PciAddress host) {
        return prepared.getOrDefault(host, "");
    }

    public GuestBus bus() {
        return bus;
    }

    /** Closes the guest side, or lets go of it when the domain is gone; {@link #detachAll} first. */
    @Override
    public void close() {
        if (domain.gone()) {
            abandon();
        } else {
            side.close();
        }
        domain.close();
    }

    public RunReport report() {
        List<GuestFunctionReport> reports = new ArrayList<>(failures);
        for (PassthroughDevice device : bus.devices()) {
            PciAddress host = device.function().address();
            VmConfig.Spec spec = specOf(host);
            boolean hotplug = bus.vslots().stream().anyMatch(v -> v.host().equals(host.toString()) && v.slot() != 0);
            reports.add(new GuestFunctionReport(host, spec.text(), spec.line(), spec.index(), device.guestAddress(),
                    hotplug, null, guestView(device), enumerated.get(host), attachTimes.getOrDefault(host, 0L)));
        }
        reports.sort((a, b) -> a.index() != b.index() ? Integer.compare(a.index(), b.index()) : a.host().compareTo(b.host()));
        return new RunReport(config.name(), config.memoryMib(), reports, domain.kind(), domain.state(), bus.vslots(),
                inventory.problems(), config.ignored(), List.copyOf(events), attachNanos, enumerateNanos);
    }

    /** The guest's config space of the function, read as the guest reads it. */
    private byte[] guestView(PassthroughDevice device) {
        int size = device.function().config().size();
        byte[] bytes = new byte[size];
        PciAddress at = device.guestAddress();
        for (int offset = 0; offset < size; offset += 4) {
            int value = bus.configRead(at.device(), at.function(), offset, 4);
            for (int i = 0; i < 4; i++) {
                bytes[offset + i] = (byte) (value >>> (8 * i));
            }
        }
        return bytes;
    }
}
