package dev.passthru.hypervisor.sim;

import dev.passthru.hypervisor.RamRange;
import dev.passthru.hypervisor.HypervisorState;
import dev.passthru.hypervisor.MmioRange;
import dev.passthru.pci.PciAddress;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** One domain's tables in a {@link SimulatedHypervisor}; the hypervisor's lock guards them. */
final class SimDomain {

    record Mapping(MmioRange range, PciAddress function) {
    }

    record Ports(int guest, int machine, int count, PciAddress function) {
    }

    record Intx(int pirq, PciAddress guest, int pin) {
    }

    record Msi(long address, int data) {
    }

    /** A pirq and the functions that hold it (several only for a shared GSI). */
    static final class Pirq {
        final int number;
        final String source;
        final int gsi;
        final int entry;
        final List<PciAddress> users = new ArrayList<>(1);

        Pirq(int number, String source, int gsi, int entry) {
            this.number = number;
            this.source = source;
            this.gsi = gsi;
            this.entry = entry;
        }
    }

    final int id;
    final List<RamRange> ram;
    final Set<PciAddress> devices = new TreeSet<>();
    /** p2m runs by first guest frame. */
    final TreeMap<Long, Mapping> p2m = new TreeMap<>();
    /** Port ranges by first guest port. */
    final TreeMap<Integer, Ports> io = new TreeMap<>();
    final TreeMap<Integer, Pirq> pirqs = new TreeMap<>();
    final List<Intx> intx = new ArrayList<>();
    final TreeMap<Integer, Msi> msi = new TreeMap<>();

    SimDomain(int id, List<RamRange> ram) {
        this.id = id;
        this.ram = ram;
    }

    @Nullable Mapping p2mOverlapping(long frame, long frames) {
        Map.Entry<Long, Mapping> below = p2m.floorEntry(frame + frames - 1);
        if (below == null) {
            return null;
        }
        Mapping m = below.getValue();
        return m.range().guestFrame() + m.range().frames() > frame ? m : null;
    }

    @Nullable Ports portsOverlapping(int port, int count) {
        Map.Entry<Integer, Ports> below = io.floorEntry(port + count - 1);
        if (below == null) {
            return null;
        }
        Ports p = below.getValue();
        return p.guest() + p.count() > port ? p : null;
    }

    @Nullable Pirq gsiPirq(int gsi) {
        for (Pirq p : pirqs.values()) {
            if (p.gsi == gsi) {
                return p;
            }
        }
        return null;
    }

    /** A pirq with the lowest free number: the tables after a release are as before the take. */
    Pirq newPirq(int first, String source, int gsi, int entry) {
        int number = first;
        while (pirqs.containsKey(number)) {
            number++;
        }
        Pirq pirq = new Pirq(number, source, gsi, entry);
        pirqs.put(number, pirq);
        return pirq;
    }

    boolean bound(int pirq) {
        if (msi.containsKey(pirq)) {
            return true;
        }
        for (Intx binding : intx) {
            if (binding.pirq() == pirq) {
                return true;
            }
        }
        return false;
    }

    /** What the function still holds in this domain, as words for a refusal; empty when nothing. */
    String remainsOf(PciAddress function) {
        long mappings = p2m.values().stream().filter(m -> m.function().equals(function)).count();
        long ports = io.values().stream().filter(p -> p.function().equals(function)).count();
        long held = pirqs.values().stream().filter(p -> p.users.contains(function)).count();
        List<String> left = new ArrayList<>();
        if (mappings > 0) {
            left.add(mappings + " MMIO mapping(s)");
        }
        if (ports > 0) {
            left.add(ports + " I/O port mapping(s)");
        }
        if (held > 0) {
            left.add(held + " pirq(s)");
        }
        return String.join(", ", left);
    }

    HypervisorState.Domain state() {
        List<HypervisorState.P2m> p2mState = new ArrayList<>();
        p2m.values().forEach(m -> p2mState.add(new HypervisorState.P2m(
                hex(m.range().guestFrame()), hex(m.range().machineFrame()), m.range().pages(),
                m.range().pageSize().toString(), m.function().toString())));
        List<HypervisorState.IoPorts> ioState = new ArrayList<>();
        io.values().forEach(p -> ioState.add(new HypervisorState.IoPorts(
                hex(p.guest()), hex(p.machine()), p.count(), p.function().toString())));
        List<HypervisorState.Pirq> pirqState = new ArrayList<>();
        pirqs.values().forEach(p -> pirqState.add(new HypervisorState.Pirq(p.number, p.source,
                p.users.stream().map(PciAddress::toString).sorted().toList())));
        List<HypervisorState.Intx> intxState = new ArrayList<>();
        intx.stream().sorted((a, b) -> a.pirq() != b.pirq() ? Integer.compare(a.pirq(), b.pirq())
                        : a.guest().compareTo(b.guest()) != 0 ? a.guest().compareTo(b.guest()) : Integer.compare(a.pin(), b.pin()))
                .forEach(i -> intxState.add(new HypervisorState.Intx(i.pirq(), i.guest().toString(),
                        SimulatedHypervisor.pinName(i.pin()))));
        List<HypervisorState.Msi> msiState = new ArrayList<>();
        msi.forEach((pirq, m) -> msiState.add(new HypervisorState.Msi(pirq, hex(m.address()), hex(m.data()),
                m.data() & 0xff)));
        return new HypervisorState.Domain(id, ram, devices.stream().map(PciAddress::toString).toList(),
                p2mState, ioState, pirqState, intxState, msiState);
    }

    private static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }
}
