package dev.passthru.xen;

import dev.passthru.hypervisor.Hypervisor;
import dev.passthru.hypervisor.HypervisorException;
import dev.passthru.hypervisor.HypervisorState;
import dev.passthru.hypervisor.MmioRange;
import dev.passthru.os.NativeCallFailed;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.RdmPolicy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The hypervisor port on real Xen. Each operation is the hypercalls the seed and libxl make
 * for it, in their order (permission before mapping, mapping undone before permission goes).
 * Xen remembers little a device model could ask back, so this class keeps what it made: an
 * unmap must name a mapping exactly as it was made, a pirq is shared by the functions on one
 * GSI until the last lets go, a bound pirq is not unmapped. A multi-call operation that fails
 * part way undoes the calls it made, so a failed operation leaves Xen as it was.
 *
 * <p>Memory mappings go in calls of at most {@code framesPerCall} frames. Xen 4.17 maps 64
 * frames per pass of the domctl and continues the hypercall by itself (its log shows a
 * {@code memory_map} line per pass whatever the call's size), so the size of a call only sets
 * how many trips into the kernel a large BAR takes; the README has the measured cost.
 */
public final class XenHypervisor implements Hypervisor {

    /**
     * What Xen needs to know of a machine function beyond its address.
     *
     * @param msixTableBar the machine address of the BAR that holds the MSI-X table (Xen finds
     *                     the table there; non-zero is also what makes a pirq an MSI-X one), 0
     *                     when the function has no MSI-X
     */
    public record Facts(RdmPolicy rdmPolicy, long msixTableBar) {
    }

    /** {@code source}: "gsi N", or the function's MSI vector or MSI-X entry it was mapped for. */
    private record Pirq(int number, int gsi, String source, Set<PciAddress> holders) {
    }

    private record IntxBinding(PciAddress guest, int pin) {
    }

    private record MsiBinding(long address, int data) {
    }

    /**
     * What this class made in Xen for one domain, as plain data: kept by a daemon so that the
     * one started after it died can {@link #resume} the domain.
     */
    public record Held(List<String> assigned, List<MmioRange> mmio, List<Ports> ports, List<HeldPirq> pirqs,
                       List<HeldIntx> intx, List<HeldMsi> msi) {

        public record Ports(int guestPort, int machinePort, int count) {
        }

        public record HeldPirq(int number, int gsi, String source, List<String> holders) {
        }

        public record HeldIntx(int pirq, String guest, int pin) {
        }

        public record HeldMsi(int pirq, long address, int data) {
        }
    }

    /**
     * How a take-over went: entries kept that were asked for again and found (no hypercall),
     * entries asked for that were not kept (made), entries kept that nothing asked for or that
     * stood in the way of what was (removed), and the removals Xen refused.
     */
    public record Resumed(int adopted, int remade, int removed, List<String> failures) {
    }

    /** A domain being taken over: the kept entries not asked for again yet, and the counts. */
    private static final class Resuming {
        final Set<String> unconfirmed = new HashSet<>();
        int adopted;
        int remade;
        int removed;
        final List<String> failures = new ArrayList<>();
    }

    private static final int EOPNOTSUPP = 95;
    /** A function nobody described: xl's default RDM policy, and no MSI-X table known. */
    private static final Facts UNDESCRIBED = new Facts(RdmPolicy.RELAXED, 0);

    private final XenControl xen;
    private final long framesPerCall;
    private final Map<PciAddress, Facts> facts = new HashMap<>();
    private final Map<PciAddress, Integer> assigned = new HashMap<>();
    private final Map<Integer, List<MmioRange>> mappings = new HashMap<>();
    private final Map<Integer, Set<List<Integer>>> portMappings = new HashMap<>();
    private final Map<Integer, Map<Integer, Pirq>> pirqs = new HashMap<>();
    /** Per domain, per pirq: the guest pins it is bound to (functions on one GSI share its pirq, each on its own pin). */
    private final Map<Integer, Map<Integer, Set<IntxBinding>>> intx = new HashMap<>();
    private final Map<Integer, Map<Integer, MsiBinding>> msi = new HashMap<>();
    private final AtomicLong mappingCalls = new AtomicLong();
    private final Map<Integer, Resuming> resuming = new HashMap<>();

    public XenHypervisor(XenControl xen, long framesPerCall) {
        if (framesPerCall < 1) {
            throw new IllegalArgumentException("frames per call must be positive: " + framesPerCall);
        }
        this.xen = xen;
        this.framesPerCall = framesPerCall;
    }

    /** Records what Xen needs of {@code machine}: the RDM policy of its spec and its MSI-X table. */
    public synchronized void describe(PciAddress machine, Facts about) {
        facts.put(machine, about);
    }

    /**
     * Forgets what was made for {@code domain}, which is gone: Xen took its mappings,
     * permissions, pirqs, bindings and devices back when it destroyed it.
     */
    public synchronized void forget(int domain) {
        assigned.values().removeIf(owner -> owner == domain);
        mappings.remove(domain);
        portMappings.remove(domain);
        pirqs.remove(domain);
        intx.remove(domain);
        msi.remove(domain);
        resuming.remove(domain);
    }

    /** What was made for {@code domain} and is held now, to be kept (see {@link Held}). */
    public synchronized Held held(int domain) {
        List<String> owned = new ArrayList<>();
        assigned.forEach((machine, owner) -> {
            if (owner == domain) {
                owned.add(machine.toString());
            }
        });
        List<Held.Ports> ports = portMappings.getOrDefault(domain, Set.of()).stream()
                .map(p -> new Held.Ports(p.get(0), p.get(1), p.get(2))).toList();
        List<Held.HeldPirq> held = pirqs.getOrDefault(domain, Map.of()).values().stream()
                .map(p -> new Held.HeldPirq(p.number(), p.gsi(), p.source(), p.holders().stream().map(PciAddress::toString).sorted()
                        .toList())).toList();
        List<Held.HeldIntx> pins = new ArrayList<>();
        intx.getOrDefault(domain, Map.of()).forEach((pirq, bindings) -> bindings.forEach(b ->
                pins.add(new Held.HeldIntx(pirq, b.guest().toString(), b.pin()))));
        List<Held.HeldMsi> messages = new ArrayList<>();
        msi.getOrDefault(domain, Map.of()).forEach((pirq, m) -> messages.add(new Held.HeldMsi(pirq, m.address(), m.data())));
        return new Held(owned, List.copyOf(mappings.getOrDefault(domain, List.of())), ports, held, pins, messages);
    }

    /**
     * Takes over what an earlier device model made in Xen for {@code domain} and kept: it is
     * taken as held (no hypercall) but unconfirmed. Until {@link #finishResume}, a call for an
     * entry held and unconfirmed confirms it without a hypercall; a call for something else is
     * made, after removing for real an unconfirmed entry in its way (a mapping over the same
     * frames, the pirq's other message). Those left unconfirmed at the end are removed.
     */
    public synchronized void resume(int domain, Held held) {
        Resuming r = new Resuming();
        for (String machine : held.assigned()) {
            assigned.put(PciAddress.parse(machine), domain);
            r.unconfirmed.add(assignKey(PciAddress.parse(machine)));
        }
        for (MmioRange range : held.mmio()) {
            mappings.computeIfAbsent(domain, d -> new ArrayList<>()).add(range);
            r.unconfirmed.add(mmioKey(range));
        }
        for (Held.Ports p : held.ports()) {
            portMappings.computeIfAbsent(domain, d -> new HashSet<>()).add(List.of(p.guestPort(), p.machinePort(), p.count()));
            r.unconfirmed.add(portsKey(p.guestPort(), p.machinePort(), p.count()));
        }
        for (Held.HeldPirq p : held.pirqs()) {
            Set<PciAddress> holders = new HashSet<>();
            p.holders().forEach(h -> holders.add(PciAddress.parse(h)));
            pirqs.computeIfAbsent(domain, d -> new LinkedHashMap<>()).put(p.number(), new Pirq(p.number(), p.gsi(), p.source(), holders));
            holders.forEach(h -> r.unconfirmed.add(pirqKey(p.number(), h)));
        }
        for (Held.HeldIntx b : held.intx()) {
            IntxBinding binding = new IntxBinding(PciAddress.parse(b.guest()), b.pin());
            intx.computeIfAbsent(domain, d -> new HashMap<>()).computeIfAbsent(b.pirq(), p -> new HashSet<>()).add(binding);
            r.unconfirmed.add(intxKey(b.pirq(), binding));
        }
        for (Held.HeldMsi m : held.msi()) {
            msi.computeIfAbsent(domain, d -> new HashMap<>()).put(m.pirq(), new MsiBinding(m.address(), m.data()));
            r.unconfirmed.add(msiKey(m.pirq()));
        }
        resuming.put(domain, r);
    }

    /**
     * Ends the take-over of {@code domain}: every entry kept that nothing asked for again is
     * removed for real, bindings before pirqs before mappings before assignments; a removal Xen
     * refuses is a failure and the rest go on.
     */
    public synchronized Resumed finishResume(int domain) {
        Resuming r = resuming.remove(domain);
        if (r == null) {
            return new Resumed(0, 0, 0, List.of());
        }
        for (Map.Entry<Integer, MsiBinding> m : List.copyOf(msi.getOrDefault(domain, Map.of()).entrySet())) {
            if (r.unconfirmed.contains(msiKey(m.getKey()))) {
                drop(r, () -> unbindMsi(domain, m.getKey()));
            }
        }
        for (Map.Entry<Integer, Set<IntxBinding>> e : List.copyOf(intx.getOrDefault(domain, Map.of()).entrySet())) {
            for (IntxBinding b : List.copyOf(e.getValue())) {
                if (r.unconfirmed.contains(intxKey(e.getKey(), b))) {
                    drop(r, () -> unbindIntx(domain, e.getKey(), b.guest(), b.pin()));
                }
            }
        }
        for (Pirq p : List.copyOf(pirqs.getOrDefault(domain, Map.of()).values())) {
            for (PciAddress holder : List.copyOf(p.holders())) {
                if (r.unconfirmed.contains(pirqKey(p.number(), holder))) {
                    drop(r, () -> unmapPirq(domain, holder, p.number()));
                }
            }
        }
        for (List<Integer> p : List.copyOf(portMappings.getOrDefault(domain, Set.of()))) {
            if (r.unconfirmed.contains(portsKey(p.get(0), p.get(1), p.get(2)))) {
                drop(r, () -> unmapIoPorts(domain, p.get(0), p.get(1), p.get(2)));
            }
        }
        for (MmioRange range : List.copyOf(mappings.getOrDefault(domain, List.of()))) {
            if (r.unconfirmed.contains(mmioKey(range))) {
                drop(r, () -> unmapMmio(domain, range));
            }
        }
        for (Map.Entry<PciAddress, Integer> a : List.copyOf(assigned.entrySet())) {
            if (a.getValue() == domain && r.unconfirmed.contains(assignKey(a.getKey()))) {
                drop(r, () -> deassignDevice(domain, a.getKey()));
            }
        }
        return new Resumed(r.adopted, r.remade, r.removed, List.copyOf(r.failures));
    }

    /** Removes a kept entry for real while taking over; counted, or its failure kept. */
    private static void drop(Resuming r, Runnable removal) {
        try {
            removal.run();
            r.removed++;
        } catch (HypervisorException e) {
            r.failures.add("removing what nothing kept explains: " + e.getMessage());
        }
    }

    /** While taking over: whether {@code key} was kept and not asked for yet, and is now confirmed. */
    private boolean confirmed(int domain, String key) {
        Resuming r = resuming.get(domain);
        if (r != null && r.unconfirmed.remove(key)) {
            r.adopted++;
            return true;
        }
        return false;
    }

    /** While taking over: {@code key} was kept and not asked for yet, and stands in the way: removed for real first. */
    private void clearKept(int domain, String key, Runnable removal) {
        Resuming r = resuming.get(domain);
        if (r != null && r.unconfirmed.contains(key)) {
            removal.run();
            r.unconfirmed.remove(key);
            r.removed++;
        }
    }

    /** While taking over: a call that was not kept was made. */
    private void made(int domain) {
        Resuming r = resuming.get(domain);
        if (r != null) {
            r.remade++;
        }
    }

    private static String assignKey(PciAddress machine) {
        return "assign " + machine;
    }

    private static String mmioKey(MmioRange range) {
        return "mmio " + range;
    }

    private static String portsKey(int guest, int machine, int count) {
        return "ports " + guest + " " + machine + " " + count;
    }

    private static String pirqKey(int pirq, PciAddress holder) {
        return "pirq " + pirq + " " + holder;
    }

    private static String intxKey(int pirq, IntxBinding binding) {
        return "intx " + pirq + " " + binding.guest() + " " + binding.pin();
    }

    private static String msiKey(int pirq) {
        return "msi " + pirq;
    }

    /**
     * What passthru made in Xen for {@code domain} and still holds: the functions assigned to it,
     * its mappings, port ranges, pirqs and their bindings (the RAM is Xen's own, not listed).
     */
    public synchronized HypervisorState state(int domain) {
        Map<String, Integer> owned = new TreeMap<>();
        assigned.forEach((machine, owner) -> {
            if (owner == domain) {
                owned.put(machine.toString(), owner);
            }
        });
        List<HypervisorState.P2m> p2m = mappings.getOrDefault(domain, List.of()).stream()
                .sorted(Comparator.comparingLong(MmioRange::guestFrame))
                .map(r -> new HypervisorState.P2m(hex(r.guestFrame()), hex(r.machineFrame()), r.pages(), r.pageSize().toString(), ""))
                .toList();
        List<HypervisorState.IoPorts> ports = portMappings.getOrDefault(domain, Set.of()).stream()
                .sorted(Comparator.comparing(p -> p.getFirst()))
                .map(p -> new HypervisorState.IoPorts(hex(p.get(0)), hex(p.get(1)), p.get(2), "")).toList();
        List<HypervisorState.Pirq> held = pirqs.getOrDefault(domain, Map.of()).values().stream()
                .sorted(Comparator.comparingInt(Pirq::number))
                .map(p -> new HypervisorState.Pirq(p.number(), p.source(), p.holders().stream().map(PciAddress::toString).sorted().toList()))
                .toList();
        List<HypervisorState.Intx> pins = new ArrayList<>();
        intx.getOrDefault(domain, Map.of()).forEach((pirq, bindings) -> bindings.forEach(b ->
                pins.add(new HypervisorState.Intx(pirq, b.guest().toString(), (char) ('A' + b.pin() - 1)))));
        pins.sort(Comparator.comparingInt(HypervisorState.Intx::pirq));
        List<HypervisorState.Msi> messages = new ArrayList<>();
        msi.getOrDefault(domain, Map.of()).forEach((pirq, m) ->
                messages.add(new HypervisorState.Msi(pirq, hex(m.address()), hex(m.data()), m.data() & 0xff)));
        messages.sort(Comparator.comparingInt(HypervisorState.Msi::pirq));
        return new HypervisorState(List.of(new HypervisorState.Domain(domain, List.of(), List.copyOf(owned.keySet()), p2m,
                ports, held, pins, messages)), owned);
    }

    private static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }

    /** xc_domain_memory_mapping calls made so far. */
    public long mappingCalls() {
        return mappingCalls.get();
    }

    @Override
    public synchronized void assignDevice(int domain, PciAddress machine) {
        String op = "assign_device";
        Supplier<String> args = () -> "domain " + domain + ", " + machine;
        if (confirmed(domain, assignKey(machine))) {
            return;
        }
        Integer owner = assigned.get(machine);
        if (owner != null) {
            throw new HypervisorException(op, args.get(), "already assigned to domain " + owner);
        }
        RdmPolicy policy = facts.getOrDefault(machine, UNDESCRIBED).rdmPolicy();
        try {
            xen.assignDevice(domain, XenSbdf.of(machine), policy == RdmPolicy.RELAXED);
        } catch (NativeCallFailed e) {
            throw new HypervisorException(op, args.get(), e.getMessage() + (e.errno() == EOPNOTSUPP
                    ? ": the domain has no IOMMU context (give it passthrough=\"enabled\" in its xl config)" : ""));
        }
        assigned.put(machine, domain);
        made(domain);
    }

    @Override
    public synchronized void deassignDevice(int domain, PciAddress machine) {
        String op = "deassign_device";
        Supplier<String> args = () -> "domain " + domain + ", " + machine;
        owned(op, args, domain, machine);
        long held = pirqs.getOrDefault(domain, Map.of()).values().stream().filter(p -> p.holders().contains(machine)).count();
        if (held > 0) {
            throw new HypervisorException(op, args.get(), "the function still holds " + held + " pirq(s)");
        }
        perform(op, args, () -> xen.deassignDevice(domain, XenSbdf.of(machine)));
        assigned.remove(machine);
    }

    @Override
    public synchronized void mapMmio(int domain, MmioRange range) {
        String op = "map_mmio";
        Supplier<String> args = () -> "domain " + domain + ", " + range;
        if (confirmed(domain, mmioKey(range))) {
            return;
        }
        List<MmioRange> made = mappings.computeIfAbsent(domain, d -> new ArrayList<>());
        for (MmioRange other : List.copyOf(made)) {
            if (range.guestFrame() < other.guestFrame() + other.frames() && other.guestFrame() < range.guestFrame() + range.frames()) {
                clearKept(domain, mmioKey(other), () -> unmapMmio(domain, other));
            }
        }
        for (MmioRange other : made) {
            if (range.guestFrame() < other.guestFrame() + other.frames() && other.guestFrame() < range.guestFrame() + range.frames()) {
                throw new HypervisorException(op, args.get(), "guest frames overlap the mapping " + other);
            }
        }
        perform(op, args, () -> xen.iomemPermission(domain, range.machineFrame(), range.frames(), true));
        long done = 0;
        try {
            while (done < range.frames()) {
                long frames = Math.min(framesPerCall, range.frames() - done);
                mappingCalls.incrementAndGet();
                xen.memoryMapping(domain, range.guestFrame() + done, range.machineFrame() + done, frames, true);
                done += frames;
            }
        } catch (NativeCallFailed e) {
            HypervisorException failed = new HypervisorException(op, args.get(), e.getMessage());
            try {
                removeFrames(domain, range, done);
                xen.iomemPermission(domain, range.machineFrame(), range.frames(), false);
            } catch (NativeCallFailed undo) {
                failed.addSuppressed(undo);
            }
            throw failed;
        }
        made.add(range);
        made(domain);
    }

    @Override
    public synchronized void unmapMmio(int domain, MmioRange range) {
        String op = "unmap_mmio";
        Supplier<String> args = () -> "domain " + domain + ", " + range;
        List<MmioRange> made = mappings.getOrDefault(domain, List.of());
        if (!made.contains(range)) {
            throw new HypervisorException(op, args.get(), "no such mapping");
        }
        perform(op, args, () -> removeFrames(domain, range, range.frames()));
        perform(op, args, () -> xen.iomemPermission(domain, range.machineFrame(), range.frames(), false));
        made.remove(range);
    }

    private void removeFrames(int domain, MmioRange range, long frames) {
        for (long done = 0; done < frames; ) {
            long count = Math.min(framesPerCall, frames - done);
            mappingCalls.incrementAndGet();
            xen.memoryMapping(domain, range.guestFrame() + done, range.machineFrame() + done, count, false);
            done += count;
        }
    }

    @Override
    public synchronized void mapIoPorts(int domain, int guestPort, int machinePort, int count) {
        String op = "map_ioports";
        Supplier<String> args = () -> String.format("domain %d, guest 0x%x, machine 0x%x, %d ports", domain, guestPort, machinePort, count);
        List<Integer> key = List.of(guestPort, machinePort, count);
        if (confirmed(domain, portsKey(guestPort, machinePort, count))) {
            return;
        }
        Set<List<Integer>> made = portMappings.computeIfAbsent(domain, d -> new HashSet<>());
        for (List<Integer> other : List.copyOf(made)) {
            if (guestPort < other.get(0) + other.get(2) && other.get(0) < guestPort + count) {
                clearKept(domain, portsKey(other.get(0), other.get(1), other.get(2)),
                        () -> unmapIoPorts(domain, other.get(0), other.get(1), other.get(2)));
            }
        }
        for (List<Integer> other : made) {
            if (guestPort < other.get(0) + other.get(2) && other.get(0) < guestPort + count) {
                throw new HypervisorException(op, args.get(), String.format("guest ports overlap 0x%x-0x%x",
                        other.get(0), other.get(0) + other.get(2) - 1));
            }
        }
        perform(op, args, () -> xen.ioportPermission(domain, machinePort, count, true));
        try {
            xen.ioportMapping(domain, guestPort, machinePort, count, true);
        } catch (NativeCallFailed e) {
            HypervisorException failed = new HypervisorException(op, args.get(), e.getMessage());
            undo(failed, () -> xen.ioportPermission(domain, machinePort, count, false));
            throw failed;
        }
        made.add(key);
        made(domain);
    }

    @Override
    public synchronized void unmapIoPorts(int domain, int guestPort, int machinePort, int count) {
        String op = "unmap_ioports";
        Supplier<String> args = () -> String.format("domain %d, guest 0x%x, machine 0x%x, %d ports", domain, guestPort, machinePort, count);
        Set<List<Integer>> made = portMappings.getOrDefault(domain, Set.of());
        List<Integer> key = List.of(guestPort, machinePort, count);
        if (!made.contains(key)) {
            throw new HypervisorException(op, args.get(), "no such mapping");
        }
        perform(op, args, () -> xen.ioportMapping(domain, guestPort, machinePort, count, false));
        perform(op, args, () -> xen.ioportPermission(domain, machinePort, count, false));
        made.remove(key);
    }

    @Override
    public synchronized int mapGsi(int domain, PciAddress machine, int gsi) {
        String op = "map_pirq";
        Supplier<String> args = () -> "domain " + domain + ", " + machine + ", gsi " + gsi;
        owned(op, args, domain, machine);
        Map<Integer, Pirq> held = pirqs.computeIfAbsent(domain, d -> new LinkedHashMap<>());
        for (Pirq p : held.values()) {
            if (p.gsi() == gsi && confirmed(domain, pirqKey(p.number(), machine))) {
                return p.number();
            }
        }
        for (Pirq p : held.values()) {
            if (p.gsi() == gsi) {
                if (!p.holders().add(machine)) {
                    throw new HypervisorException(op, args.get(), "the function already holds pirq " + p.number());
                }
                return p.number();
            }
        }
        int pirq = call(op, args, () -> xen.mapPirqGsi(domain, gsi));
        try {
            xen.irqPermission(domain, pirq, true);
        } catch (NativeCallFailed e) {
            HypervisorException failed = new HypervisorException(op, args.get(), e.getMessage());
            undo(failed, () -> xen.unmapPirq(domain, pirq));
            throw failed;
        }
        held.put(pirq, new Pirq(pirq, gsi, "gsi " + gsi, new HashSet<>(Set.of(machine))));
        made(domain);
        return pirq;
    }

    @Override
    public synchronized int mapMsi(int domain, PciAddress machine, boolean msix, int entry, long address, int data) {
        String op = "map_pirq_msi";
        Supplier<String> args = () -> "domain " + domain + ", " + machine + (msix ? ", MSI-X entry " : ", MSI vector ") + entry;
        owned(op, args, domain, machine);
        long table = msix ? facts.getOrDefault(machine, UNDESCRIBED).msixTableBar() : 0;
        if (msix && table == 0) {
            throw new HypervisorException(op, args.get(), "the function's MSI-X table address is not known");
        }
        String source = (msix ? "msix " : "msi ") + machine + " entry " + entry;
        int wanted = MsiFlags.requestedPirq(address, data);
        for (Pirq p : List.copyOf(pirqs.getOrDefault(domain, Map.of()).values())) {
            if (p.source().equals(source) && (wanted <= 0 || wanted == p.number()) && confirmed(domain, pirqKey(p.number(), machine))) {
                return p.number();
            }
            if (p.source().equals(source) || p.number() == wanted) {
                for (PciAddress holder : List.copyOf(p.holders())) {
                    clearKept(domain, msiKey(p.number()), () -> unbindMsi(domain, p.number()));
                    clearKept(domain, pirqKey(p.number(), holder), () -> unmapPirq(domain, holder, p.number()));
                }
            }
        }
        for (Pirq p : pirqs.getOrDefault(domain, Map.of()).values()) {
            if (p.source().equals(source)) {
                throw new HypervisorException(op, args.get(), "the entry already has pirq " + p.number());
            }
        }
        if (wanted > 0 && pirqs.getOrDefault(domain, Map.of()).containsKey(wanted)) {
            throw new HypervisorException(op, args.get(), "the guest asked for pirq " + wanted + ", which is already mapped");
        }
        int pirq = call(op, args, () -> xen.mapPirqMsi(domain, wanted > 0 ? wanted : XenControl.ANY_PIRQ, machine.bus(),
                machine.devfn(), msix ? entry : 0, table));
        pirqs.computeIfAbsent(domain, d -> new LinkedHashMap<>()).put(pirq, new Pirq(pirq, -1, source, new HashSet<>(Set.of(machine))));
        made(domain);
        return pirq;
    }

    /** A guest that asks for a pirq in its message routes it through an event channel and never unmasks it. */
    @Override
    public boolean leavesMaskingToHypervisor(long address, int data) {
        return MsiFlags.requestedPirq(address, data) > 0;
    }

    @Override
    public synchronized void unmapPirq(int domain, PciAddress machine, int pirq) {
        String op = "unmap_pirq";
        Supplier<String> args = () -> "domain " + domain + ", " + machine + ", pirq " + pirq;
        Map<Integer, Pirq> held = pirqs.getOrDefault(domain, Map.of());
        Pirq p = held.get(pirq);
        if (p == null || !p.holders().contains(machine)) {
            throw new HypervisorException(op, args.get(), "the function holds no such pirq");
        }
        if (p.holders().size() == 1 && (bound(intx, domain, pirq) || bound(msi, domain, pirq))) {
            throw new HypervisorException(op, args.get(), "the pirq is still bound");
        }
        if (p.holders().size() > 1) {
            p.holders().remove(machine);
            return;
        }
        if (p.gsi() >= 0) {
            perform(op, args, () -> xen.irqPermission(domain, pirq, false));
        }
        perform(op, args, () -> xen.unmapPirq(domain, pirq));
        held.remove(pirq);
    }

    @Override
    public synchronized void bindIntx(int domain, int pirq, PciAddress guest, int pin) {
        String op = "bind_pt_irq";
        Supplier<String> args = () -> "domain " + domain + ", pirq " + pirq + ", " + guest + " INT" + (char) ('A' + pin - 1);
        Pirq mapped = pirqs.getOrDefault(domain, Map.of()).get(pirq);
        if (mapped == null || mapped.gsi() < 0) {
            throw new HypervisorException(op, args.get(), "no such GSI pirq in the domain");
        }
        if (pin < 1 || pin > 4) {
            throw new HypervisorException(op, args.get(), "no such pin (1-4: INTA-INTD)");
        }
        IntxBinding binding = new IntxBinding(guest, pin);
        if (confirmed(domain, intxKey(pirq, binding))) {
            return;
        }
        for (Map.Entry<Integer, Set<IntxBinding>> other : List.copyOf(intx.getOrDefault(domain, Map.of()).entrySet())) {
            if (other.getValue().contains(binding)) {
                clearKept(domain, intxKey(other.getKey(), binding), () -> unbindIntx(domain, other.getKey(), guest, pin));
            }
        }
        for (Map.Entry<Integer, Set<IntxBinding>> other : intx.getOrDefault(domain, Map.of()).entrySet()) {
            if (other.getValue().contains(binding)) {
                throw new HypervisorException(op, args.get(), "the guest pin is already bound to pirq " + other.getKey());
            }
        }
        perform(op, args, () -> xen.bindPciIrq(domain, pirq, guest.bus(), guest.device(), pin - 1));
        intx.computeIfAbsent(domain, d -> new HashMap<>()).computeIfAbsent(pirq, p -> new HashSet<>()).add(binding);
        made(domain);
    }

    @Override
    public synchronized void unbindIntx(int domain, int pirq, PciAddress guest, int pin) {
        String op = "unbind_pt_irq";
        Supplier<String> args = () -> "domain " + domain + ", pirq " + pirq + ", " + guest + " INT" + (char) ('A' + pin - 1);
        Set<IntxBinding> bindings = intx.getOrDefault(domain, Map.of()).get(pirq);
        if (bindings == null || !bindings.contains(new IntxBinding(guest, pin))) {
            throw new HypervisorException(op, args.get(), "no such binding");
        }
        perform(op, args, () -> xen.unbindPciIrq(domain, pirq, guest.bus(), guest.device(), pin - 1));
        bindings.remove(new IntxBinding(guest, pin));
        if (bindings.isEmpty()) {
            Objects.requireNonNull(intx.get(domain), "the binding was found in the domain's map").remove(pirq);
        }
    }

    @Override
    public synchronized void bindMsi(int domain, int pirq, long address, int data) {
        String op = "update_msi_irq";
        Supplier<String> args = () -> String.format("domain %d, pirq %d, address 0x%x, data 0x%x", domain, pirq, address, data);
        Pirq p = mapped(op, args, domain, pirq);
        if (p.gsi() >= 0) {
            throw new HypervisorException(op, args.get(), "no such MSI pirq in the domain");
        }
        MsiBinding kept = msi.getOrDefault(domain, Map.of()).get(pirq);
        if (kept != null && kept.equals(new MsiBinding(address, data)) && confirmed(domain, msiKey(pirq))) {
            return;
        }
        clearKept(domain, msiKey(pirq), () -> unbindMsi(domain, pirq));
        if (bound(msi, domain, pirq)) {
            throw new HypervisorException(op, args.get(), "the pirq is already bound");
        }
        if (!MsiFlags.x86Address(address)) {
            throw new HypervisorException(op, args.get(), "not an x86 MSI address (0xfee00000-0xfeefffff)");
        }
        perform(op, args, () -> xen.updateMsiIrq(domain, MsiFlags.vector(data), pirq, MsiFlags.of(address, data)));
        msi.computeIfAbsent(domain, d -> new HashMap<>()).put(pirq, new MsiBinding(address, data));
        made(domain);
    }

    @Override
    public synchronized void unbindMsi(int domain, int pirq) {
        String op = "unbind_msi_irq";
        Supplier<String> args = () -> "domain " + domain + ", pirq " + pirq;
        MsiBinding binding = msi.getOrDefault(domain, Map.of()).get(pirq);
        if (binding == null) {
            throw new HypervisorException(op, args.get(), "the pirq is not bound");
        }
        perform(op, args, () -> xen.unbindMsiIrq(domain, MsiFlags.vector(binding.data()), pirq,
                MsiFlags.of(binding.address(), binding.data())));
        Objects.requireNonNull(msi.get(domain), "the binding was found in the domain's map").remove(pirq);
    }

    /**
     * Xen delivers a bound pirq by itself; this is for interrupts the device model receives
     * (a host source that hands them to it): a pulse on the guest pin for INTx, the programmed
     * message for MSI.
     */
    @Override
    public synchronized void inject(int domain, int pirq) {
        String op = "inject";
        Supplier<String> args = () -> "domain " + domain + ", pirq " + pirq;
        Set<IntxBinding> pins = intx.getOrDefault(domain, Map.of()).get(pirq);
        MsiBinding message = msi.getOrDefault(domain, Map.of()).get(pirq);
        if (pins != null) {
            for (IntxBinding pin : pins) {
                perform(op, args, () -> xen.setPciIntxLevel(domain, pin.guest().bus(), pin.guest().device(), pin.pin() - 1, true));
                perform(op, args, () -> xen.setPciIntxLevel(domain, pin.guest().bus(), pin.guest().device(), pin.pin() - 1, false));
            }
        } else if (message != null) {
            perform(op, args, () -> xen.injectMsi(domain, message.address(), message.data()));
        } else {
            throw new HypervisorException(op, args.get(), "the pirq is not bound");
        }
    }

    private void owned(String op, Supplier<String> args, int domain, PciAddress machine) {
        Integer owner = assigned.get(machine);
        if (owner == null || owner != domain) {
            throw new HypervisorException(op, args.get(), "the function is not assigned to domain " + domain);
        }
    }

    private Pirq mapped(String op, Supplier<String> args, int domain, int pirq) {
        Pirq p = pirqs.getOrDefault(domain, Map.of()).get(pirq);
        if (p == null) {
            throw new HypervisorException(op, args.get(), "no such pirq in the domain");
        }
        return p;
    }

    private static boolean bound(Map<Integer, ? extends Map<Integer, ?>> bindings, int domain, int pirq) {
        Map<Integer, ?> domainBindings = bindings.get(domain);
        return domainBindings != null && domainBindings.containsKey(pirq);
    }

    private static void perform(String op, Supplier<String> args, Runnable hypercall) {
        call(op, args, () -> {
            hypercall.run();
            return 0;
        });
    }

    private static <T> T call(String op, Supplier<String> args, Supplier<T> hypercall) {
        try {
            return hypercall.get();
        } catch (NativeCallFailed e) {
            throw new HypervisorException(op, args.get(), e.getMessage());
        }
    }

    private static void undo(HypervisorException failed, Runnable step) {
        try {
            step.run();
        } catch (NativeCallFailed e) {
            failed.addSuppressed(e);
        }
    }
}
