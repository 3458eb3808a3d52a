package dev.passthru.hypervisor;

import dev.passthru.pci.PciAddress;

import java.util.function.Supplier;

/**
 * A hypervisor that hands every call to another through one hook, {@link #around}, given the
 * call's operation name and arguments as the simulated hypervisor words them: the shape shared
 * by decorators that note calls or fail them, so that each says only what it adds.
 */
public abstract class DecoratingHypervisor implements Hypervisor {

    private final Hypervisor target;

    protected DecoratingHypervisor(Hypervisor target) {
        this.target = target;
    }

    /** Runs {@code call} (the call on the target) for operation {@code operation} with {@code arguments}. */
    protected abstract <T> T around(String operation, Supplier<String> arguments, Supplier<T> call);

    private void aroundVoid(String operation, Supplier<String> arguments, Runnable call) {
        around(operation, arguments, () -> {
            call.run();
            return null;
        });
    }

    @Override
    public final void assignDevice(int domain, PciAddress machine) {
        aroundVoid("assign_device", () -> "domain " + domain + ", " + machine, () -> target.assignDevice(domain, machine));
    }

    @Override
    public final void deassignDevice(int domain, PciAddress machine) {
        aroundVoid("deassign_device", () -> "domain " + domain + ", " + machine, () -> target.deassignDevice(domain, machine));
    }

    @Override
    public final void mapMmio(int domain, MmioRange range) {
        aroundVoid("map_mmio", () -> "domain " + domain + ", " + range, () -> target.mapMmio(domain, range));
    }

    @Override
    public final void unmapMmio(int domain, MmioRange range) {
        aroundVoid("unmap_mmio", () -> "domain " + domain + ", " + range, () -> target.unmapMmio(domain, range));
    }

    @Override
    public final void mapIoPorts(int domain, int guestPort, int machinePort, int count) {
        aroundVoid("map_ioports", () -> ports(domain, guestPort, machinePort, count),
                () -> target.mapIoPorts(domain, guestPort, machinePort, count));
    }

    @Override
    public final void unmapIoPorts(int domain, int guestPort, int machinePort, int count) {
        aroundVoid("unmap_ioports", () -> ports(domain, guestPort, machinePort, count),
                () -> target.unmapIoPorts(domain, guestPort, machinePort, count));
    }

    @Override
    public final int mapGsi(int domain, PciAddress machine, int gsi) {
        return around("map_pirq_gsi", () -> "domain " + domain + ", " + machine + ", gsi " + gsi,
                () -> target.mapGsi(domain, machine, gsi));
    }

    @Override
    public final int mapMsi(int domain, PciAddress machine, boolean msix, int entry, long address, int data) {
        return around("map_pirq_msi", () -> "domain " + domain + ", " + machine + (msix ? ", MSI-X entry " : ", MSI vector ") + entry,
                () -> target.mapMsi(domain, machine, msix, entry, address, data));
    }

    /** A question, not a call: it is answered by the target and never passes through {@link #around}. */
    @Override
    public final boolean leavesMaskingToHypervisor(long address, int data) {
        return target.leavesMaskingToHypervisor(address, data);
    }

    @Override
    public final void unmapPirq(int domain, PciAddress machine, int pirq) {
        aroundVoid("unmap_pirq", () -> "domain " + domain + ", " + machine + ", pirq " + pirq,
                () -> target.unmapPirq(domain, machine, pirq));
    }

    @Override
    public final void bindIntx(int domain, int pirq, PciAddress guest, int pin) {
        aroundVoid("bind_pt_irq", () -> intx(domain, pirq, guest, pin), () -> target.bindIntx(domain, pirq, guest, pin));
    }

    @Override
    public final void unbindIntx(int domain, int pirq, PciAddress guest, int pin) {
        aroundVoid("unbind_pt_irq", () -> intx(domain, pirq, guest, pin), () -> target.unbindIntx(domain, pirq, guest, pin));
    }

    @Override
    public final void bindMsi(int domain, int pirq, long address, int data) {
        aroundVoid("bind_msi", () -> String.format("domain %d, pirq %d, address 0x%x, data 0x%x", domain, pirq, address, data),
                () -> target.bindMsi(domain, pirq, address, data));
    }

    @Override
    public final void unbindMsi(int domain, int pirq) {
        aroundVoid("unbind_msi", () -> "domain " + domain + ", pirq " + pirq, () -> target.unbindMsi(domain, pirq));
    }

    @Override
    public final void inject(int domain, int pirq) {
        aroundVoid("inject", () -> "domain " + domain + ", pirq " + pirq, () -> target.inject(domain, pirq));
    }

    private static String ports(int domain, int guestPort, int machinePort, int count) {
        return String.format("domain %d, guest 0x%x, machine 0x%x, %d ports", domain, guestPort, machinePort, count);
    }

    private static String intx(int domain, int pirq, PciAddress guest, int pin) {
        return "domain " + domain + ", pirq " + pirq + ", guest " + guest + " INT" + (pin >= 1 && pin <= 4 ? (char) ('A' + pin - 1) : '?');
    }
}
