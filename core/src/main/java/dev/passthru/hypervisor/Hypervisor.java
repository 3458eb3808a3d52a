package dev.passthru.hypervisor;

import dev.passthru.pci.PciAddress;

/**
 * What the device model asks of the hypervisor for one pass-through function, named after what
 * each call does (the seed's xc_* calls): give the function to a domain, map its BARs where
 * the guest put them, route its interrupts. Every call takes the domain it acts on. A call that
 * cannot be done throws {@link HypervisorException} naming the operation and its arguments,
 * and changes nothing.
 */
public interface Hypervisor {

    /** Hands the machine function to the domain: its IOMMU context becomes the domain's. */
    void assignDevice(int domain, PciAddress machine);

    /** Takes the machine function back from the domain. */
    void deassignDevice(int domain, PciAddress machine);

    /** Maps machine frames into the domain's physical address space. */
    void mapMmio(int domain, MmioRange range);

    /** Removes a mapping made by {@link #mapMmio}, exactly as it was made. */
    void unmapMmio(int domain, MmioRange range);

    /** Lets the domain's port accesses at {@code guestPort} reach the machine's {@code machinePort}. */
    void mapIoPorts(int domain, int guestPort, int machinePort, int count);

    void unmapIoPorts(int domain, int guestPort, int machinePort, int count);

    /**
     * A pirq (the hypervisor's handle for a machine interrupt) for the GSI that the machine
     * function's INTx pin is wired to. Functions that share a GSI share its pirq.
     */
    int mapGsi(int domain, PciAddress machine, int gsi);

    /**
     * A pirq for MSI vector {@code entry} of the machine function, or for MSI-X table entry
     * {@code entry} when {@code msix}: the two are set up differently (an MSI-X entry is found
     * through the function's table). {@code address} and {@code data} are the message the guest
     * programmed for it: where a guest names the pirq it wants in its message (Xen's HVM guests
     * do, see {@link #leavesMaskingToHypervisor}), the pirq is that one.
     */
    int mapMsi(int domain, PciAddress machine, boolean msix, int entry, long address, int data);

    /**
     * Whether a guest that programmed this message leaves the vector's masking to the
     * hypervisor and never clears its mask bit: then the vector is delivered masked or not.
     * Linux HVM guests on Xen that route MSIs through event channels (vector 0, the pirq in the
     * destination field) do so, as they set {@code pci_msi_ignore_mask}.
     */
    default boolean leavesMaskingToHypervisor(long address, int data) {
        return false;
    }

    /**
     * Gives back the machine function's hold on a pirq from {@link #mapGsi} or {@link #mapMsi};
     * the pirq goes when its last holder lets go, and must not be bound then.
     */
    void unmapPirq(int domain, PciAddress machine, int pirq);

    /** Delivers the pirq to the domain as INTx pin {@code pin} (1-4: A-D) of guest device {@code guest}. */
    void bindIntx(int domain, int pirq, PciAddress guest, int pin);

    void unbindIntx(int domain, int pirq, PciAddress guest, int pin);

    /** Delivers the pirq to the domain as the message the guest programmed: its address and data. */
    void bindMsi(int domain, int pirq, long address, int data);

    void unbindMsi(int domain, int pirq);

    /** The machine raised the interrupt behind a bound pirq: deliver it to the guest as bound. */
    void inject(int domain, int pirq);
}
