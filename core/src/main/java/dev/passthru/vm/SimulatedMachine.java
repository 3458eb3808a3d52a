package dev.passthru.vm;

import dev.passthru.InputError;
import dev.passthru.bus.GuestDomain;
import dev.passthru.device.HostInterruptControl;
import dev.passthru.guest.BuiltInGuestSide;
import dev.passthru.host.Assignability;
import dev.passthru.host.HostFunction;
import dev.passthru.host.Inventory;
import dev.passthru.hypervisor.Hypervisor;
import dev.passthru.hypervisor.HypervisorState;
import dev.passthru.hypervisor.sim.SimulatedHypervisor;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.SpecOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The simulated hypervisor as VMs use it, and the one place above the hypervisor port that
 * knows it: it makes each VM's domain and the built-in guest side, which reaches the domain's
 * mapped BAR pages through the simulated p2m, and gives the whole machine's state. Several VMs
 * (the daemon's) share one machine, each as its own domain.
 */
public final class SimulatedMachine {

    private final SimulatedHypervisor hypervisor = new SimulatedHypervisor();

    /** A new domain of {@code memoryMib} MiB of RAM, laid out as a PC's, for a VM. */
    public GuestDomain domain(int id, long memoryMib) {
        createDomain(id, memoryMib << 20);
        return new Domain(id);
    }

    /** A new empty domain of {@code bytes} of RAM, laid out as a PC's, for calls made straight to {@link #hypervisor()}. */
    public void createDomain(int id, long bytes) {
        hypervisor.createDomain(id, GuestRam.ranges(bytes));
    }

    /** Makes the function's BARs and ROM known to the machine at their machine addresses. */
    public void addMachineFunction(HostFunction function) {
        hypervisor.addMachineFunction(function.address(), function.bars(), function.memory());
    }

    /** The per-function calls, for tools that make them one by one ({@code passthru sim attach}). */
    public Hypervisor hypervisor() {
        return hypervisor;
    }

    /** The built-in guest, reaching its mapped BAR pages through this machine. */
    public Vm.GuestSideFactory builtInGuest() {
        return (bus, domain, highRamEnd) -> new BuiltInGuestSide(bus, hypervisor, domain.id(), highRamEnd);
    }

    /** Removes a domain that holds nothing any more. */
    public void destroyDomain(int id) {
        hypervisor.destroyDomain(id);
    }

    /** Everything the machine holds, all domains. */
    public HypervisorState state() {
        return hypervisor.state();
    }

    private final class Domain implements GuestDomain {

        private final int id;
        /** The functions put on the machine for this domain: recordings of different machines may clash. */
        private final List<HostFunction> onMachine = new ArrayList<>();

        Domain(int id) {
            this.id = id;
        }

        @Override
        public int id() {
            return id;
        }

        @Override
        public Hypervisor hypervisor() {
            return hypervisor;
        }

        @Override
        public String kind() {
            return "simulated";
        }

        @Override
        public Map<PciAddress, Assignability.Verdict> verdicts(Inventory inventory, boolean seize) {
            return Assignability.judge(inventory, seize);
        }

        /** Puts the function's BARs on the simulated machine, unless another's there overlap them. */
        @Override
        public Prepared prepare(HostFunction function, SpecOptions options) {
            String clash = MachineRanges.clash(function, onMachine.stream()
                    .filter(g -> !g.address().equals(function.address())).toList());
            if (clash != null) {
                throw new InputError(clash + ": the recordings come from different machines");
            }
            if (!onMachine.contains(function)) {
                onMachine.add(function);
                addMachineFunction(function);
            }
            return new Prepared("", HostInterruptControl.NONE);
        }

        /** As {@link #prepare}: the simulated machine never touches a host function. */
        @Override
        public Prepared resume(HostFunction function, SpecOptions options) {
            return prepare(function, options);
        }

        /** Nothing to do: the simulated machine never touches a host function. */
        @Override
        public Settled settle(HostFunction function) {
            return new Settled(false, "", List.of());
        }

        @Override
        public boolean gone() {
            return false;
        }

        @Override
        public HypervisorState state() {
            HypervisorState all = hypervisor.state();
            Map<String, Integer> assigned = new TreeMap<>(all.assigned());
            assigned.values().removeIf(owner -> owner != id);
            return new HypervisorState(all.domains().stream().filter(d -> d.id() == id).toList(), assigned);
        }

        @Override
        public Map<Integer, Long> injections() {
            Map<Integer, Long> mine = new TreeMap<>();
            String prefix = id + "/";
            hypervisor.injections().forEach((key, count) -> {
                if (key.startsWith(prefix)) {
                    mine.put(Integer.parseInt(key.substring(prefix.length())), count);
                }
            });
            return mine;
        }

        @Override
        public void close() {
        }
    }
}
