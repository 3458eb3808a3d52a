package dev.passthru.vm;

import dev.passthru.InputError;
import dev.passthru.bus.GuestBus;
import dev.passthru.config.CapabilityPolicy;
import dev.passthru.config.ConfigOptions;
import dev.passthru.device.AttachFailed;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.dump.DumpSource;
import dev.passthru.guest.BuiltInGuest;
import dev.passthru.guest.EnumeratedFunction;
import dev.passthru.guest.SimulatedPlatform;
import dev.passthru.host.Assignability;
import dev.passthru.host.HostFunction;
import dev.passthru.host.HostSource;
import dev.passthru.host.Inventory;
import dev.passthru.host.profile.ProfileSource;
import dev.passthru.host.sysfs.SysfsSource;
import dev.passthru.hypervisor.sim.SimulatedHypervisor;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.AssignmentSpec;
import dev.passthru.spec.SpecOptions;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a VM config on the simulated machine: reads the host functions, places each spec's
 * functions in a slot of the guest's bus (functions of one host device share a slot), attaches
 * them slot by slot, lets the built-in guest enumerate the bus, and reports what everyone saw.
 * A function that cannot be attached is reported with its reason; the others go on.
 */
public final class VmRunner {

    static final int DOMAIN = 1;

    private VmRunner() {
    }

    /** A host device's functions that the config asks for, in one slot. */
    private record Group(List<HostFunction> functions, List<VmConfig.Spec> specs, int slot) {
    }

    public static RunReport run(VmConfig config) {
        Inventory inventory = inventory(config.sources());
        Map<PciAddress, Assignability.Verdict> plain = Assignability.judge(inventory, false);
        Map<PciAddress, Assignability.Verdict> seized = Assignability.judge(inventory, true);

        SimulatedHypervisor hypervisor = new SimulatedHypervisor();
        long memory = config.memoryMib() << 20;
        hypervisor.createDomain(DOMAIN, GuestRam.ranges(memory));
        GuestBus bus = new GuestBus(hypervisor, DOMAIN, config.firstHotplug(), config.lastHotplug());

        List<GuestFunctionReport> reports = new ArrayList<>();
        Map<PciAddress, Long> attachTimes = new LinkedHashMap<>();
        Map<PciAddress, VmConfig.Spec> specOf = new LinkedHashMap<>();
        long attachStart = System.nanoTime();
        for (Group group : machine(groups(config, inventory, reports), hypervisor, reports)) {
            List<GuestBus.Plug> plugs = new ArrayList<>();
            for (int i = 0; i < group.functions().size(); i++) {
                HostFunction f = group.functions().get(i);
                VmConfig.Spec spec = group.specs().get(i);
                specOf.put(f.address(), spec);
                SpecOptions options = merged(spec.spec().options(), config.defaults());
                Assignability.Verdict verdict = (options.effectiveSeize() ? seized : plain).get(f.address());
                int number = group.functions().size() == 1 ? 0 : f.address().function();
                plugs.add(new GuestBus.Plug(number, f, new ConfigOptions(options.effectivePermissive(),
                        options.effectivePowerMgmt(), CapabilityPolicy.DEFAULT), verdict));
            }
            long t0 = System.nanoTime();
            try {
                bus.plug(group.slot(), plugs);
                long each = (System.nanoTime() - t0) / plugs.size();
                plugs.forEach(p -> attachTimes.put(p.host().address(), each));
            } catch (InputError | AttachFailed e) {
                for (int i = 0; i < group.functions().size(); i++) {
                    VmConfig.Spec spec = group.specs().get(i);
                    reports.add(new GuestFunctionReport(group.functions().get(i).address(), spec.text(), spec.line(),
                            spec.index(),
                            null, false, e.getMessage(), null, null, 0));
                }
            }
        }
        long attachNanos = System.nanoTime() - attachStart;

        long enumerateStart = System.nanoTime();
        BuiltInGuest guest = new BuiltInGuest(new SimulatedPlatform(bus, hypervisor, DOMAIN), GuestRam.highEnd(memory));
        List<EnumeratedFunction> enumerated = guest.boot();
        long enumerateNanos = System.nanoTime() - enumerateStart;

        for (PassthroughDevice device : bus.devices()) {
            PciAddress host = device.function().address();
            VmConfig.Spec spec = specOf.get(host);
            EnumeratedFunction found = enumerated.stream().filter(e -> e.device() == device.guestAddress().device()
                    && e.function() == device.guestAddress().function()).findFirst().orElse(null);
            reports.add(new GuestFunctionReport(host, spec.text(), spec.line(), spec.index(), device.guestAddress(),
                    bus.vslots().stream().anyMatch(v -> v.host().equals(host.toString()) && v.slot() != 0), null,
                    guestView(bus, device), found, attachTimes.getOrDefault(host, 0L)));
        }
        reports.sort((a, b) -> a.index() != b.index() ? Integer.compare(a.index(), b.index()) : a.host().compareTo(b.host()));
        return new RunReport(config.name(), config.memoryMib(), reports, hypervisor.state(), bus.vslots(),
                inventory.problems(), config.ignored(), attachNanos, enumerateNanos);
    }

    /**
     * Puts the functions asked for on the simulated machine. Recordings may come from different
     * machines, whose BARs can sit at the same machine addresses; one that overlaps a function
     * placed before it cannot be on the same machine, and is reported instead of attached.
     */
    private static List<Group> machine(List<Group> groups, SimulatedHypervisor hypervisor,
                                       List<GuestFunctionReport> reports) {
        List<HostFunction> placed = new ArrayList<>();
        List<Group> kept = new ArrayList<>();
        for (Group group : groups) {
            List<HostFunction> functions = new ArrayList<>();
            List<VmConfig.Spec> specs = new ArrayList<>();
            for (int i = 0; i < group.functions().size(); i++) {
                HostFunction f = group.functions().get(i);
                String clash = MachineRanges.clash(f, placed);
                if (clash != null) {
                    VmConfig.Spec spec = group.specs().get(i);
                    reports.add(new GuestFunctionReport(f.address(), spec.text(), spec.line(), spec.index(), null, false,
                            clash + ": the recordings come from different machines", null, null, 0));
                    continue;
                }
                placed.add(f);
                hypervisor.addMachineFunction(f.address(), f.bars(), f.memory());
                functions.add(f);
                specs.add(group.specs().get(i));
            }
            if (!functions.isEmpty()) {
                kept.add(new Group(functions, specs, group.slot()));
            }
        }
        return kept;
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

    /**
     * The specs' functions grouped by host device, in the order first asked for; a function
     * not on the host becomes a failed report at once.
     */
    private static List<Group> groups(VmConfig config, Inventory inventory, List<GuestFunctionReport> failures) {
        Map<String, List<HostFunction>> functions = new LinkedHashMap<>();
        Map<String, List<VmConfig.Spec>> specs = new LinkedHashMap<>();
        Map<String, Integer> slots = new LinkedHashMap<>();
        for (VmConfig.Spec spec : config.pci()) {
            AssignmentSpec s = spec.spec();
            List<HostFunction> matched = s.allFunctions()
                    ? inventory.functions().stream().filter(f -> sameDevice(f.address(), s.address())).toList()
                    : inventory.find(s.address()).map(List::of).orElse(List.of());
            if (matched.isEmpty()) {
                failures.add(new GuestFunctionReport(s.address(), spec.text(), spec.line(), spec.index(), null, false,
                        "not among the host functions read (" + inventory.source() + ")", null, null, 0));
                continue;
            }
            String key = deviceKey(s.address());
            for (HostFunction f : matched) {
                if (functions.getOrDefault(key, List.of()).contains(f)) {
                    continue;
                }
                functions.computeIfAbsent(key, k -> new ArrayList<>()).add(f);
                specs.computeIfAbsent(key, k -> new ArrayList<>()).add(spec);
            }
            if (!s.autoSlot()) {
                slots.putIfAbsent(key, s.vslot());
            }
        }
        List<Group> groups = new ArrayList<>();
        functions.forEach((key, list) -> {
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                order.add(i);
            }
            order.sort((a, b) -> Integer.compare(list.get(a).address().function(), list.get(b).address().function()));
            List<HostFunction> sortedFunctions = order.stream().map(list::get).toList();
            List<VmConfig.Spec> sortedSpecs = order.stream().map(specs.get(key)::get).toList();
            groups.add(new Group(sortedFunctions, sortedSpecs, slots.getOrDefault(key, 0)));
        });
        return groups;
    }

    private static boolean sameDevice(PciAddress a, PciAddress b) {
        return a.domain() == b.domain() && a.bus() == b.bus() && a.device() == b.device();
    }

    private static String deviceKey(PciAddress a) {
        return a.domain() + ":" + a.bus() + ":" + a.device();
    }

    /** Every source's functions in one inventory; a function read twice is a problem, the first kept. */
    static Inventory inventory(List<HostSourceSpec> sources) {
        List<HostFunction> functions = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (HostSourceSpec spec : sources) {
            HostSource source = switch (spec.kind()) {
                case SYSFS -> new SysfsSource(spec.path(), false);
                case PROFILES -> new ProfileSource(spec.path());
                case DUMP -> new DumpSource(spec.path());
            };
            Inventory one = source.scan();
            names.add(one.source());
            problems.addAll(one.problems());
            for (HostFunction f : one.functions()) {
                if (functions.stream().anyMatch(g -> g.address().equals(f.address()))) {
                    problems.add(f.source() + ": " + f.address() + " was read from an earlier source too; this one is left out");
                } else {
                    functions.add(f);
                }
            }
        }
        functions.sort((a, b) -> a.address().compareTo(b.address()));
        return new Inventory(String.join(", ", names), functions, problems);
    }

    /** The guest's config space of the function, read as the guest reads it. */
    private static byte[] guestView(GuestBus bus, PassthroughDevice device) {
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
