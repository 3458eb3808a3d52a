package dev.passthru.vfiouser;

import dev.passthru.hypervisor.Hypervisor;
import dev.passthru.hypervisor.MmioRange;
import dev.passthru.pci.PciAddress;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The hypervisor as a vfio-user server's device model sees it: the client is the VMM and does
 * what a hypervisor would, so every call here has nothing to do. The client maps the BARs
 * itself (by the sparse mmap descriptors) and routes the interrupts by SET_IRQS, and the IOMMU
 * context the device DMAs in is the server's VFIO container, filled by DMA_MAP. The handles
 * {@link #mapGsi} and {@link #mapMsi} give are numbers the device model keeps and hands back.
 */
final class ClientSideHypervisor implements Hypervisor {

    private final AtomicInteger handles = new AtomicInteger();

    @Override
    public void assignDevice(int domain, PciAddress machine) {
    }

    @Override
    public void deassignDevice(int domain, PciAddress machine) {
    }

    @Override
    public void mapMmio(int domain, MmioRange range) {
    }

    @Override
    public void unmapMmio(int domain, MmioRange range) {
    }

    @Override
    public void mapIoPorts(int domain, int guestPort, int machinePort, int count) {
    }

    @Override
    public void unmapIoPorts(int domain, int guestPort, int machinePort, int count) {
    }

    @Override
    public int mapGsi(int domain, PciAddress machine, int gsi) {
        return handles.incrementAndGet();
    }

    @Override
    public int mapMsi(int domain, PciAddress machine, boolean msix, int entry, long address, int data) {
        return handles.incrementAndGet();
    }

    @Override
    public void unmapPirq(int domain, PciAddress machine, int pirq) {
    }

    @Override
    public void bindIntx(int domain, int pirq, PciAddress guest, int pin) {
    }

    @Override
    public void unbindIntx(int domain, int pirq, PciAddress guest, int pin) {
    }

    @Override
    public void bindMsi(int domain, int pirq, long address, int data) {
    }

    @Override
    public void unbindMsi(int domain, int pirq) {
    }

    @Override
    public void inject(int domain, int pirq) {
    }
}
