package dev.passthru.vm;

import dev.passthru.InputError;
import dev.passthru.bus.GuestBus;
import dev.passthru.bus.SlotState;
import dev.passthru.config.CapabilityPolicy;
import dev.passthru.config.ConfigOptions;
import dev.passthru.device.AttachFailed;
import dev.passthru.device.DetachReport;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.guest.EnumeratedFunction;
import dev.passthru.host.Assignability;
import dev.passthru.host.HostFunction;
import dev.passthru.host.Inventory;
import dev.passthru.hypervisor.sim.SimulatedHypervisor;
import dev.passthru.pci.PciAddress;
import dev.passthru.qemu.ProxyPresentation;
import dev.passthru.spec.SpecOptions;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One VM on the simulated hypervisor: its host functions, the domain, the guest's bus, and a
 * guest side (the built-in guest, or a real one under QEMU). Slots are plugged before boot
 * (cold-plug) or after it (hot-plug, which the guest enumerates when the slot arrives), and
 * unplugged at run time.
 */
public final class SimulatedVm implements AutoCloseable {

    /** Makes the guest side once the bus and hypervisor exist. */
    public interface GuestSideFactory {
        GuestSide create(GuestBus bus, SimulatedHypervisor hypervisor, int domain, long highRamEnd);
    }

    static final int DOMAIN = 1;

    private final VmConfig config;
    private final Inventory inventory;
    private final Map<PciAddress, Assignability.Verdict> plain;
    private final Map<PciAddress, Assignability.Verdict> seized;
    private final SimulatedHypervisor hypervisor;
    private final Set<PciAddress> handedOver;
    private final GuestBus bus;
    private final GuestSide side;
    private final List<HostFunction> onMachine = new ArrayList<>();
    private final List<GuestFunctionReport> failures = new ArrayList<>();
    private final Map<PciAddress, VmConfig.Spec> specOf = new HashMap<>();
    private final Map<PciAddress, Long> attachTimes = new HashMap<>();
    private final Map<PciAddress, EnumeratedFunction> enumerated = new HashMap<>();
    private final List<String> events = new ArrayList<>();
    private long attachNanos;
    private long enumerateNanos;

    SimulatedVm(VmConfig config, Inventory inventory) {
        this(config, inventory, builtIn());
    }

    /** The built-in guest as the guest side. */
    public static GuestSideFactory builtIn() {
        return BuiltInGuestSide::new;
    }

    public SimulatedVm(VmConfig config, Inventory inventory, GuestSideFactory guestSide) {
        this(config, inventory, guestSide, new SimulatedHypervisor(), DOMAIN, Set.of());
    }

    /**
     * A VM as domain {@code domain} of a hypervisor that other VMs may share; functions in
     * {@code handedOver} count as bound to a pass-through stub (xl's pci-assignable-add).
     */
    public SimulatedVm(VmConfig config, Inventory inventory, GuestSideFactory guestSide, SimulatedHypervisor hypervisor,
                       int domain, Set<PciAddress> handedOver) {
        this.hypervisor = hypervisor;
        this.handedOver = handedOver;
        this.config = config;
        this.inventory = inventory;
        this.plain = Assignability.judge(inventory, false);
        this.seized = Assignability.judge(inventory, true);
        long memory = config.memoryMib() << 20;
        hypervisor.createDomain(domain, GuestRam.ranges(memory));
        this.bus = new GuestBus(hypervisor, domain, config.firstHotplug(), config.lastHotplug());
        this.side = guestSide.create(bus, hypervisor, domain, GuestRam.highEnd(memory));
    }

    /** Plugs the specs' functions, slot by slot, before the guest runs. */
    public void coldPlug(List<VmConfig.Spec> specs) {
        long start = System.nanoTime();
        for (SpecGroups.Group group : SpecGroups.of(specs, inventory, failures)) {
            plug(group);
        }
        attachNanos += System.nanoTime() - start;
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
        Map<String, Long> before = hypervisor.injections();
        side.write(device, bar, offset, value);
        long deadline = System.nanoTime() + 1_000_000_000L;
        while (System.nanoTime() < deadline && hypervisor.injections().equals(before)) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        List<String> injected = new ArrayList<>();
        hypervisor.injections().forEach((pirq, count) -> {
            long more = count - before.getOrDefault(pirq, 0L);
            if (more > 0) {
                injected.add("pirq " + pirq.substring(pirq.indexOf('/') + 1) + " x" + more);
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

    /** Unplugs a slot of the running guest. */
    public void unplug(int slot) {
        List<PassthroughDevice> devices = bus.devices().stream().filter(d -> d.guestAddress().device() == slot).toList();
        List<PciAddress> leaving = devices.stream().map(d -> d.function().address()).toList();
        if (bus.state(slot) == SlotState.PRESENT) {
            side.unplugging(slot, devices);
        }
        List<DetachReport> reports = bus.unplug(slot);
        List<String> problems = reports.stream().flatMap(r -> r.failures().stream()).toList();
        leaving.forEach(enumerated::remove);
        events.add(String.format("hot-unplug slot 0x%02x: %s %s", slot, String.join(", ", leaving.stream()
                .map(PciAddress::toString).toList()), problems.isEmpty() ? "detached" : "left work: " + problems));
    }

    /**
     * Takes every slot down without asking the guest side (the guest is gone), and notes why
     * and how it went.
     */
    public void detachAll(String why) {
        List<String> problems = new ArrayList<>();
        for (int slot = 1; slot < GuestBus.SLOTS; slot++) {
            if (bus.state(slot) == SlotState.PRESENT || bus.state(slot) == SlotState.NEEDS_CLEANUP) {
                bus.remove(slot).forEach(r -> problems.addAll(r.failures()));
            }
        }
        events.add(why + "; every function detached" + (problems.isEmpty() ? "" : ", leaving work: " + problems));
    }

    /** Adds a line to what the run reports. */
    public void note(String line) {
        events.add(line);
    }

    public List<String> events() {
        return List.copyOf(events);
    }

    /** Puts a group on the machine and plugs it; the slot, or null when it did not attach (reported). */
    private Integer plug(SpecGroups.Group group) {
        List<GuestBus.Plug> plugs = new ArrayList<>();
        for (int i = 0; i < group.functions().size(); i++) {
            HostFunction f = group.functions().get(i);
            VmConfig.Spec spec = group.specs().get(i);
            String clash = MachineRanges.clash(f, onMachine.stream().filter(g -> !g.address().equals(f.address())).toList());
            if (clash != null) {
                failures.add(GuestFunctionReport.failed(f.address(), spec, clash + ": the recordings come from different machines"));
                continue;
            }
            if (!onMachine.contains(f)) {
                onMachine.add(f);
                hypervisor.addMachineFunction(f.address(), f.bars(), f.memory());
            }
            specOf.put(f.address(), spec);
            ProxyPresentation.Presented shown;
            try {
                shown = side.present(f);
            } catch (InputError e) {
                failures.add(GuestFunctionReport.failed(f.address(), spec, e.getMessage()));
                continue;
            }
            shown.notes().forEach(note -> events.add(f.address() + ": " + note));
            SpecOptions options = merged(spec.spec().options(), config.defaults());
            int number = group.functions().size() == 1 ? 0 : f.address().function();
            plugs.add(new GuestBus.Plug(number, shown.function(), new ConfigOptions(options.effectivePermissive(),
                    options.effectivePowerMgmt(), CapabilityPolicy.DEFAULT),
                    (options.effectiveSeize() || handedOver.contains(f.address()) ? seized : plain).get(f.address())));
        }
        if (plugs.isEmpty()) {
            return null;
        }
        long start = System.nanoTime();
        GuestBus.Placed placed;
        try {
            placed = bus.plug(group.slot(), plugs);
        } catch (InputError | AttachFailed e) {
            plugs.forEach(p -> failures.add(GuestFunctionReport.failed(p.host().address(), specOf.get(p.host().address()),
                    e.getMessage())));
            return null;
        }
        long each = (System.nanoTime() - start) / plugs.size();
        plugs.forEach(p -> attachTimes.put(p.host().address(), each));
        try {
            side.plugged(placed.slot(), placed.devices());
        } catch (RuntimeException e) {
            bus.remove(placed.slot());
            plugs.forEach(p -> failures.add(GuestFunctionReport.failed(p.host().address(), specOf.get(p.host().address()),
                    "the guest side could not take it: " + e.getMessage())));
            return null;
        }
        return placed.slot();
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

    public SimulatedHypervisor hypervisor() {
        return hypervisor;
    }

    public GuestBus bus() {
        return bus;
    }

    @Override
    public void close() {
        side.close();
    }

    public RunReport report() {
        List<GuestFunctionReport> reports = new ArrayList<>(failures);
        for (PassthroughDevice device : bus.devices()) {
            PciAddress host = device.function().address();
            VmConfig.Spec spec = specOf.get(host);
            boolean hotplug = bus.vslots().stream().anyMatch(v -> v.host().equals(host.toString()) && v.slot() != 0);
            reports.add(new GuestFunctionReport(host, spec.text(), spec.line(), spec.index(), device.guestAddress(),
                    hotplug, null, guestView(device), enumerated.get(host), attachTimes.getOrDefault(host, 0L)));
        }
        reports.sort((a, b) -> a.index() != b.index() ? Integer.compare(a.index(), b.index()) : a.host().compareTo(b.host()));
        return new RunReport(config.name(), config.memoryMib(), reports, hypervisor.state(), bus.vslots(),
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
