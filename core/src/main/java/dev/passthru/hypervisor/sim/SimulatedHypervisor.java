package dev.passthru.hypervisor.sim;

import dev.passthru.hypervisor.RamRange;
import dev.passthru.hypervisor.HypervisorState;
import dev.passthru.host.BarLayout;
import dev.passthru.host.BarMemory;
import dev.passthru.host.HostBar;
import dev.passthru.hypervisor.GuestMemory;
import dev.passthru.hypervisor.Hypervisor;
import dev.passthru.hypervisor.HypervisorException;
import dev.passthru.hypervisor.MmioRange;
import dev.passthru.hypervisor.PageSize;
import dev.passthru.pci.PciAddress;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * An in-memory hypervisor that keeps the tables a real one keeps (p2m runs with their page
 * size, I/O port ranges, pirqs, INTx and MSI bindings, which domain owns which function) and
 * refuses, with a reason, what a real one must refuse: above all a mapping of machine memory
 * that is not inside a BAR or ROM of a function the domain owns, so that no BAR relocation
 * ever lets a guest reach other host memory. It counts calls and gives its whole state as
 * values (faults are injected in front of it, or of any backend, by
 * {@link dev.passthru.hypervisor.FaultyHypervisor}). Calls are serialized: one lock for the
 * whole machine, as the tables are small.
 */
public final class SimulatedHypervisor implements Hypervisor, GuestMemory {

    /** x86-64 guests address at most 52 bits of physical memory. */
    public static final long GUEST_ADDRESS_LIMIT = 1L << 52;
    /** Xen hands out pirqs from 16 up; below are the legacy ISA interrupts. */
    private static final int FIRST_PIRQ = 16;
    private static final int MAX_GSI = 1023;
    private static final int MAX_MSIX_ENTRIES = 2048;
    private static final long MSI_WINDOW = 0xfee0_0000L;
    private static final long MSI_WINDOW_MASK = 0xfff0_0000L;

    private final Map<PciAddress, BarLayout> machine = new HashMap<>();
    private final Map<PciAddress, BarMemory> memories = new HashMap<>();
    private final TreeMap<Integer, SimDomain> domains = new TreeMap<>();
    private final Map<PciAddress, Integer> owners = new HashMap<>();
    private final TreeMap<String, Long> counts = new TreeMap<>();
    private final TreeMap<String, Long> injections = new TreeMap<>();
    private long calls;

    /** Makes a machine function known, with its BARs and ROM at their machine addresses. */
    public synchronized void addMachineFunction(PciAddress address, BarLayout bars) {
        addMachineFunction(address, bars, BarMemory.NONE);
    }

    /**
     * Makes a machine function known, with what its BARs hold, so that the domain's accesses to
     * frames mapped onto them reach that memory as they would reach the device.
     */
    public synchronized void addMachineFunction(PciAddress address, BarLayout bars, BarMemory memory) {
        machine.put(address, bars);
        memories.put(address, memory);
    }

    /**
     * A guest access the hypervisor serves without the device model: through a p2m run, to the
     * machine BAR behind it. Empty when the address is not mapped (the device model traps it).
     */
    @Override
    public synchronized OptionalLong guestRead(int domain, long address, int width) {
        MachineSpot spot = spot(domain, address);
        return spot == null ? OptionalLong.empty() : OptionalLong.of(spot.memory.read(spot.bar, spot.offset, width));
    }

    /** A guest write through a p2m run; false when the address is not mapped. */
    @Override
    public synchronized boolean guestWrite(int domain, long address, int width, long value) {
        MachineSpot spot = spot(domain, address);
        if (spot == null) {
            return false;
        }
        spot.memory.write(spot.bar, spot.offset, width, value);
        return true;
    }

    private record MachineSpot(BarMemory memory, int bar, long offset) {
    }

    private @Nullable MachineSpot spot(int domain, long address) {
        SimDomain d = domains.get(domain);
        if (d == null) {
            return null;
        }
        SimDomain.Mapping m = d.p2mOverlapping(address >>> PageSize.FRAME_SHIFT, 1);
        if (m == null) {
            return null;
        }
        long machineAddress = m.range().machineAddress() + (address - m.range().guestAddress());
        BarLayout bars = machine.get(m.function());
        BarMemory memory = memories.get(m.function());
        if (bars == null || memory == null) {
            // a range mapped for a function never put on the machine: no BAR answers there
            return null;
        }
        for (HostBar bar : bars.bars()) {
            if (bar.kind().isMemory() && inside(machineAddress, 1, bar.address(), bar.size())) {
                return new MachineSpot(memory, bar.index(), machineAddress - bar.address());
            }
        }
        if (bars.hasRom() && inside(machineAddress, 1, bars.romAddress(), bars.romSize())) {
            return new MachineSpot(memory, BarMemory.ROM, machineAddress - bars.romAddress());
        }
        return null;
    }

    /** Creates an empty domain with the given RAM. */
    public synchronized void createDomain(int id, List<RamRange> ram) {
        if (domains.containsKey(id)) {
            throw new IllegalArgumentException("domain " + id + " exists");
        }
        domains.put(id, new SimDomain(id, List.copyOf(ram)));
    }

    /** Removes a domain that holds nothing any more. */
    public synchronized void destroyDomain(int id) {
        SimDomain d = domains.get(id);
        if (d == null) {
            throw new IllegalArgumentException("no domain " + id);
        }
        if (!d.devices.isEmpty() || !d.p2m.isEmpty() || !d.io.isEmpty() || !d.pirqs.isEmpty()) {
            throw new IllegalStateException("domain " + id + " still holds functions, mappings or pirqs");
        }
        domains.remove(id);
    }

    /** Calls made so far, refused ones included. */
    public synchronized long calls() {
        return calls;
    }

    /** Calls made so far by operation name. */
    public synchronized Map<String, Long> operationCounts() {
        return new TreeMap<>(counts);
    }

    public synchronized HypervisorState state() {
        List<HypervisorState.Domain> list = new ArrayList<>();
        domains.values().forEach(d -> list.add(d.state()));
        Map<String, Integer> assigned = new TreeMap<>();
        owners.forEach((f, d) -> assigned.put(f.toString(), d));
        return new HypervisorState(list, assigned);
    }

    @Override
    public synchronized void assignDevice(int domain, PciAddress function) {
        String op = "assign_device";
        Supplier<String> args = () -> "domain " + domain + ", " + function;
        SimDomain d = enter(op, domain, args);
        if (!machine.containsKey(function)) {
            throw new HypervisorException(op, args.get(), "no such machine function");
        }
        Integer owner = owners.get(function);
        if (owner != null) {
            throw new HypervisorException(op, args.get(), "already assigned to domain " + owner);
        }
        owners.put(function, domain);
        d.devices.add(function);
    }

    @Override
    public synchronized void deassignDevice(int domain, PciAddress function) {
        String op = "deassign_device";
        Supplier<String> args = () -> "domain " + domain + ", " + function;
        SimDomain d = enter(op, domain, args);
        owned(op, args, domain, function);
        String left = d.remainsOf(function);
        if (!left.isEmpty()) {
            throw new HypervisorException(op, args.get(), "the function still has " + left);
        }
        owners.remove(function);
        d.devices.remove(function);
    }

    @Override
    public synchronized void mapMmio(int domain, MmioRange range) {
        String op = "map_mmio";
        Supplier<String> args = () -> "domain " + domain + ", " + range;
        SimDomain d = enter(op, domain, args);
        long frames = range.pageSize().frames();
        if (range.guestFrame() % frames != 0 || range.machineFrame() % frames != 0) {
            throw new HypervisorException(op, args.get(), "frames not aligned to " + range.pageSize() + " pages");
        }
        long guest = range.guestAddress();
        long bytes = range.bytes();
        if (guest + bytes > GUEST_ADDRESS_LIMIT || guest + bytes < guest) {
            throw new HypervisorException(op, args.get(), "guest frames past the 52-bit guest physical address space");
        }
        PciAddress owner = barOwner(d, range.machineAddress(), bytes, false);
        if (owner == null) {
            throw new HypervisorException(op, args.get(), "machine frames not inside a BAR or ROM of a function "
                    + "assigned to domain " + domain);
        }
        for (RamRange ram : d.ram) {
            if (ram.overlaps(guest, bytes)) {
                throw new HypervisorException(op, args.get(), String.format(
                        "guest frames inside the domain's RAM (0x%x-0x%x)", ram.start(), ram.end() - 1));
            }
        }
        SimDomain.Mapping clash = d.p2mOverlapping(range.guestFrame(), range.frames());
        if (clash != null) {
            throw new HypervisorException(op, args.get(), "guest frames overlap the mapping " + clash.range());
        }
        d.p2m.put(range.guestFrame(), new SimDomain.Mapping(range, owner));
    }

    @Override
    public synchronized void unmapMmio(int domain, MmioRange range) {
        String op = "unmap_mmio";
        Supplier<String> args = () -> "domain " + domain + ", " + range;
        SimDomain d = enter(op, domain, args);
        SimDomain.Mapping mapping = d.p2m.get(range.guestFrame());
        if (mapping == null || !mapping.range().equals(range)) {
            throw new HypervisorException(op, args.get(), "no such mapping"
                    + (mapping == null ? "" : " (the frames hold " + mapping.range() + ")"));
        }
        d.p2m.remove(range.guestFrame());
    }

    @Override
    public synchronized void mapIoPorts(int domain, int guestPort, int machinePort, int count) {
        String op = "map_ioports";
        Supplier<String> args = () -> String.format("domain %d, guest 0x%x, machine 0x%x, %d ports",
                domain, guestPort, machinePort, count);
        SimDomain d = enter(op, domain, args);
        if (count <= 0 || guestPort < 0 || guestPort + count > 0x10000) {
            throw new HypervisorException(op, args.get(), "guest ports outside 0-0xffff");
        }
        PciAddress owner = barOwner(d, machinePort, count, true);
        if (owner == null) {
            throw new HypervisorException(op, args.get(), "machine ports not inside an I/O BAR of a function "
                    + "assigned to domain " + domain);
        }
        SimDomain.Ports clash = d.portsOverlapping(guestPort, count);
        if (clash != null) {
            throw new HypervisorException(op, args.get(), String.format("guest ports overlap 0x%x-0x%x",
                    clash.guest(), clash.guest() + clash.count() - 1));
        }
        d.io.put(guestPort, new SimDomain.Ports(guestPort, machinePort, count, owner));
    }

    @Override
    public synchronized void unmapIoPorts(int domain, int guestPort, int machinePort, int count) {
        String op = "unmap_ioports";
        Supplier<String> args = () -> String.format("domain %d, guest 0x%x, machine 0x%x, %d ports",
                domain, guestPort, machinePort, count);
        SimDomain d = enter(op, domain, args);
        SimDomain.Ports ports = d.io.get(guestPort);
        if (ports == null || ports.machine() != machinePort || ports.count() != count) {
            throw new HypervisorException(op, args.get(), "no such port mapping");
        }
        d.io.remove(guestPort);
    }

    @Override
    public synchronized int mapGsi(int domain, PciAddress function, int gsi) {
        String op = "map_pirq_gsi";
        Supplier<String> args = () -> "domain " + domain + ", " + function + ", gsi " + gsi;
        SimDomain d = enter(op, domain, args);
        owned(op, args, domain, function);
        if (gsi <= 0 || gsi > MAX_GSI) {
            throw new HypervisorException(op, args.get(), "no such GSI (1-" + MAX_GSI + ")");
        }
        SimDomain.Pirq shared = d.gsiPirq(gsi);
        if (shared != null) {
            if (shared.users.contains(function)) {
                throw new HypervisorException(op, args.get(), "the function already holds pirq " + shared.number);
            }
            shared.users.add(function);
            return shared.number;
        }
        SimDomain.Pirq pirq = d.newPirq(FIRST_PIRQ, "gsi " + gsi, gsi, -1);
        pirq.users.add(function);
        return pirq.number;
    }

    @Override
    public synchronized int mapMsi(int domain, PciAddress function, boolean msix, int entry, long address, int data) {
        String op = "map_pirq_msi";
        Supplier<String> args = () -> "domain " + domain + ", " + function + (msix ? ", MSI-X entry " : ", MSI vector ") + entry;
        SimDomain d = enter(op, domain, args);
        owned(op, args, domain, function);
        if (entry < 0 || entry >= MAX_MSIX_ENTRIES) {
            throw new HypervisorException(op, args.get(), "no such entry (0-" + (MAX_MSIX_ENTRIES - 1) + ")");
        }
        String source = (msix ? "msix " : "msi ") + function + " entry " + entry;
        for (SimDomain.Pirq p : d.pirqs.values()) {
            if (p.source.equals(source)) {
                throw new HypervisorException(op, args.get(), "the entry already has pirq " + p.number);
            }
        }
        SimDomain.Pirq pirq = d.newPirq(FIRST_PIRQ, source, -1, entry);
        pirq.users.add(function);
        return pirq.number;
    }

    @Override
    public synchronized void unmapPirq(int domain, PciAddress function, int pirq) {
        String op = "unmap_pirq";
        Supplier<String> args = () -> "domain " + domain + ", " + function + ", pirq " + pirq;
        SimDomain d = enter(op, domain, args);
        SimDomain.Pirq p = d.pirqs.get(pirq);
        if (p == null || !p.users.contains(function)) {
            throw new HypervisorException(op, args.get(), "the function holds no such pirq");
        }
        if (p.users.size() == 1 && d.bound(pirq)) {
            throw new HypervisorException(op, args.get(), "the pirq is still bound");
        }
        p.users.remove(function);
        if (p.users.isEmpty()) {
            d.pirqs.remove(pirq);
        }
    }

    @Override
    public synchronized void bindIntx(int domain, int pirq, PciAddress guest, int pin) {
        String op = "bind_pt_irq";
        Supplier<String> args = () -> "domain " + domain + ", pirq " + pirq + ", guest " + guest + " INT" + pinName(pin);
        SimDomain d = enter(op, domain, args);
        SimDomain.Pirq p = d.pirqs.get(pirq);
        if (p == null || p.gsi < 0) {
            throw new HypervisorException(op, args.get(), "no such GSI pirq in the domain");
        }
        if (pin < 1 || pin > 4) {
            throw new HypervisorException(op, args.get(), "no such pin (1-4: INTA-INTD)");
        }
        for (SimDomain.Intx bound : d.intx) {
            if (bound.guest().equals(guest) && bound.pin() == pin) {
                throw new HypervisorException(op, args.get(), "the guest pin is already bound to pirq " + bound.pirq());
            }
        }
        d.intx.add(new SimDomain.Intx(pirq, guest, pin));
    }

    @Override
    public synchronized void unbindIntx(int domain, int pirq, PciAddress guest, int pin) {
        String op = "unbind_pt_irq";
        Supplier<String> args = () -> "domain " + domain + ", pirq " + pirq + ", guest " + guest + " INT" + pinName(pin);
        SimDomain d = enter(op, domain, args);
        if (!d.intx.remove(new SimDomain.Intx(pirq, guest, pin))) {
            throw new HypervisorException(op, args.get(), "no such binding");
        }
    }

    @Override
    public synchronized void bindMsi(int domain, int pirq, long address, int data) {
        String op = "bind_msi";
        Supplier<String> args = () -> String.format("domain %d, pirq %d, address 0x%x, data 0x%x", domain, pirq, address, data);
        SimDomain d = enter(op, domain, args);
        SimDomain.Pirq p = d.pirqs.get(pirq);
        if (p == null || p.entry < 0) {
            throw new HypervisorException(op, args.get(), "no such MSI pirq in the domain");
        }
        if (d.msi.containsKey(pirq)) {
            throw new HypervisorException(op, args.get(), "the pirq is already bound");
        }
        if ((address & MSI_WINDOW_MASK) != MSI_WINDOW) {
            throw new HypervisorException(op, args.get(), "not an x86 MSI address (0xfee00000-0xfeefffff)");
        }
        d.msi.put(pirq, new SimDomain.Msi(address, data));
    }

    @Override
    public synchronized void unbindMsi(int domain, int pirq) {
        String op = "unbind_msi";
        Supplier<String> args = () -> "domain " + domain + ", pirq " + pirq;
        SimDomain d = enter(op, domain, args);
        if (d.msi.remove(pirq) == null) {
            throw new HypervisorException(op, args.get(), "the pirq is not bound");
        }
    }

    @Override
    public synchronized void inject(int domain, int pirq) {
        String op = "inject";
        Supplier<String> args = () -> "domain " + domain + ", pirq " + pirq;
        SimDomain d = enter(op, domain, args);
        if (!d.bound(pirq)) {
            throw new HypervisorException(op, args.get(), "the pirq is not bound");
        }
        injections.merge(domain + "/" + pirq, 1L, Long::sum);
    }

    /** Interrupts delivered so far, by "domain/pirq". */
    public synchronized Map<String, Long> injections() {
        return new TreeMap<>(injections);
    }

    /** Counts the call and finds the domain. */
    private SimDomain enter(String op, int domain, Supplier<String> args) {
        calls++;
        counts.merge(op, 1L, Long::sum);
        SimDomain d = domains.get(domain);
        if (d == null) {
            throw new HypervisorException(op, args.get(), "no such domain");
        }
        return d;
    }

    private void owned(String op, Supplier<String> args, int domain, PciAddress function) {
        Integer owner = owners.get(function);
        if (owner == null || owner != domain) {
            throw new HypervisorException(op, args.get(), "the function is not assigned to domain " + domain);
        }
    }

    /** The function of the domain whose BAR (or ROM) holds the whole machine range, or null. */
    private @Nullable PciAddress barOwner(SimDomain d, long start, long length, boolean io) {
        for (PciAddress function : d.devices) {
            BarLayout bars = machine.get(function);
            if (bars == null) {
                continue;
            }
            for (HostBar bar : bars.bars()) {
                if (bar.kind().isMemory() != io && inside(start, length, bar.address(), bar.size())) {
                    return function;
                }
            }
            if (!io && bars.hasRom() && bars.romAddress() != 0
                    && inside(start, length, bars.romAddress(), bars.romSize())) {
                return function;
            }
        }
        return null;
    }

    private static boolean inside(long start, long length, long from, long size) {
        return start >= from && length <= size && start - from <= size - length;
    }

    static char pinName(int pin) {
        return pin >= 1 && pin <= 4 ? (char) ('A' + pin - 1) : '?';
    }
}
