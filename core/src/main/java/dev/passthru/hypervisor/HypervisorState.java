package dev.passthru.hypervisor;

import java.util.List;

/**
 * Everything a {@link SimulatedHypervisor} holds, as plain values: two states are equal exactly
 * when the hypervisor would answer every later call the same way. Written as JSON for users.
 *
 * @param domains   each domain's tables, by id
 * @param assigned  which domain owns each machine function ("0000:03:00.0" -> 1)
 */
public record HypervisorState(List<Domain> domains, java.util.Map<String, Integer> assigned) {

    /** One domain's tables, each sorted by its first column. */
    public record Domain(int id, List<RamRange> ram, List<String> devices, List<P2m> p2m, List<IoPorts> ioPorts,
                         List<Pirq> pirqs, List<Intx> intx, List<Msi> msi) {
    }

    /** A p2m run: {@code pages} pages of {@code pageSize} at guest frame {@code gfn}, of a function's BAR. */
    public record P2m(String gfn, String mfn, long pages, String pageSize, String function) {
    }

    public record IoPorts(String guestPort, String machinePort, int count, String function) {
    }

    /** A pirq, what it stands for ("gsi 10", "msi 0000:03:00.0 entry 3"), and its users. */
    public record Pirq(int pirq, String source, List<String> functions) {
    }

    public record Intx(int pirq, String guestDevice, char pin) {
    }

    public record Msi(int pirq, String address, String data, int vector) {
    }

    /** Entries in all tables of all domains: what must not grow over attach/detach cycles. */
    public int entries() {
        return assigned.size() + domains.stream().mapToInt(d -> d.devices.size() + d.p2m.size() + d.ioPorts.size()
                + d.pirqs.size() + d.intx.size() + d.msi.size()).sum();
    }
}
