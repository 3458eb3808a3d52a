package dev.passthru.hypervisor;

import dev.passthru.pci.PciAddress;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A hypervisor that notes every call made through it, and how it ended, before passing it on:
 * for users who want to see what an attach asks of the hypervisor, and for debugging a backend.
 */
public final class TracingHypervisor implements Hypervisor {

    private final Hypervisor target;
    private final List<String> trace = new ArrayList<>();

    public TracingHypervisor(Hypervisor target) {
        this.target = target;
    }

    /** Every call so far, one line each: {@code map_mmio(domain 1, ...) -> ok}. */
    public synchronized List<String> trace() {
        return List.copyOf(trace);
    }

    @Override
    public void assignDevice(int domain, PciAddress machine) {
        run("assign_device", () -> "domain " + domain + ", " + machine, () -> {
            target.assignDevice(domain, machine);
            return null;
        });
    }

    @Override
    public void deassignDevice(int domain, PciAddress machine) {
        run("deassign_device", () -> "domain " + domain + ", " + machine, () -> {
            target.deassignDevice(domain, machine);
            return null;
        });
    }

    @Override
    public void mapMmio(int domain, MmioRange range) {
        run("map_mmio", () -> "domain " + domain + ", " + range, () -> {
            target.mapMmio(domain, range);
            return null;
        });
    }

    @Override
    public void unmapMmio(int domain, MmioRange range) {
        run("unmap_mmio", () -> "domain " + domain + ", " + range, () -> {
            target.unmapMmio(domain, range);
            return null;
        });
    }

    @Override
    public void mapIoPorts(int domain, int guestPort, int machinePort, int count) {
        run("map_ioports", () -> ports(domain, guestPort, machinePort, count), () -> {
            target.mapIoPorts(domain, guestPort, machinePort, count);
            return null;
        });
    }

    @Override
    public void unmapIoPorts(int domain, int guestPort, int machinePort, int count) {
        run("unmap_ioports", () -> ports(domain, guestPort, machinePort, count), () -> {
            target.unmapIoPorts(domain, guestPort, machinePort, count);
            return null;
        });
    }

    @Override
    public int mapGsi(int domain, PciAddress machine, int gsi) {
        return run("map_pirq_gsi", () -> "domain " + domain + ", " + machine + ", gsi " + gsi,
                () -> target.mapGsi(domain, machine, gsi));
    }

    @Override
    public int mapMsi(int domain, PciAddress machine, boolean msix, int entry, long address, int data) {
        return run("map_pirq_msi", () -> "domain " + domain + ", " + machine + (msix ? ", MSI-X entry " : ", MSI vector ") + entry,
                () -> target.mapMsi(domain, machine, msix, entry, address, data));
    }

    @Override
    public boolean leavesMaskingToHypervisor(long address, int data) {
        return target.leavesMaskingToHypervisor(address, data);
    }

    @Override
    public void unmapPirq(int domain, PciAddress machine, int pirq) {
        run("unmap_pirq", () -> "domain " + domain + ", " + machine + ", pirq " + pirq, () -> {
            target.unmapPirq(domain, machine, pirq);
            return null;
        });
    }

    @Override
    public void bindIntx(int domain, int pirq, PciAddress guest, int pin) {
        run("bind_pt_irq", () -> intx(domain, pirq, guest, pin), () -> {
            target.bindIntx(domain, pirq, guest, pin);
            return null;
        });
    }

    @Override
    public void unbindIntx(int domain, int pirq, PciAddress guest, int pin) {
        run("unbind_pt_irq", () -> intx(domain, pirq, guest, pin), () -> {
            target.unbindIntx(domain, pirq, guest, pin);
            return null;
        });
    }

    @Override
    public void bindMsi(int domain, int pirq, long address, int data) {
        run("bind_msi", () -> String.format("domain %d, pirq %d, address 0x%x, data 0x%x", domain, pirq, address, data),
                () -> {
                    target.bindMsi(domain, pirq, address, data);
                    return null;
                });
    }

    @Override
    public void unbindMsi(int domain, int pirq) {
        run("unbind_msi", () -> "domain " + domain + ", pirq " + pirq, () -> {
            target.unbindMsi(domain, pirq);
            return null;
        });
    }

    @Override
    public void inject(int domain, int pirq) {
        run("inject", () -> "domain " + domain + ", pirq " + pirq, () -> {
            target.inject(domain, pirq);
            return null;
        });
    }

    private <T> T run(String operation, Supplier<String> arguments, Supplier<T> call) {
        String line = operation + "(" + arguments.get() + ")";
        try {
            T result = call.get();
            note(line + (result != null ? " -> pirq " + result : " -> ok"));
            return result;
        } catch (HypervisorException e) {
            note(line + " -> refused: " + e.reason());
            throw e;
        }
    }

    private synchronized void note(String line) {
        trace.add(line);
    }

    private static String ports(int domain, int guestPort, int machinePort, int count) {
        return String.format("domain %d, guest 0x%x, machine 0x%x, %d ports", domain, guestPort, machinePort, count);
    }

    private static String intx(int domain, int pirq, PciAddress guest, int pin) {
        return "domain " + domain + ", pirq " + pirq + ", guest " + guest + " INT" + (char) ('A' + pin - 1);
    }
}
