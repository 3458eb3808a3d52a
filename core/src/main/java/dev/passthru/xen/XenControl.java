package dev.passthru.xen;

/**
 * The hypercalls a pass-through device model makes on behalf of a domain, as libxenctrl and
 * libxendevicemodel offer them. Machine functions are given as SBDF (segment << 16 | bus << 8
 * | devfn), frames as 4 KiB frame numbers. Every call either does what it says or throws
 * {@link NativeCallFailed}; none is retried here.
 */
public interface XenControl extends AutoCloseable {

    /** Where a domain is in its life, as xc_domain_getinfolist tells. */
    enum DomainState {
        /** Alive: running or blocked. */
        ALIVE,
        /** Alive and paused (xl create -p, xl pause): its vCPUs do not run. */
        PAUSED,
        /** Its guest shut down, but the domain is not being destroyed: Xen still holds all it had. */
        SHUT_DOWN,
        /** Being destroyed, or gone: Xen takes back its mappings, interrupts, ioreq servers and devices by itself. */
        GONE
    }

    DomainState domainState(int domain);

    /**
     * xc_test_assign_device with no domain: whether the function is now given to a guest (or
     * hidden by Xen), rather than held by dom0 or in Xen's quarantine.
     */
    boolean heldForGuest(int sbdf);

    /** xc_assign_device; {@code relaxedRdm} is xl's rdm_policy=relaxed. */
    void assignDevice(int domain, int sbdf, boolean relaxedRdm);

    void deassignDevice(int domain, int sbdf);

    /** One xc_domain_memory_mapping call: add or remove {@code frames} frames at {@code gfn}. */
    void memoryMapping(int domain, long gfn, long mfn, long frames, boolean add);

    void ioportMapping(int domain, int guestPort, int machinePort, int count, boolean add);

    void iomemPermission(int domain, long mfn, long frames, boolean allow);

    void ioportPermission(int domain, int port, int count, boolean allow);

    void irqPermission(int domain, int pirq, boolean allow);

    /** xc_physdev_map_pirq for a GSI: the pirq Xen gave. */
    int mapPirqGsi(int domain, int gsi);

    /** {@link #mapPirqMsi}'s {@code pirq} for "Xen picks one". */
    int ANY_PIRQ = -1;

    /**
     * xc_physdev_map_pirq_msi: the pirq Xen gave, {@code pirq} itself unless it is
     * {@link #ANY_PIRQ}; {@code tableBase} is the machine address of the BAR holding the MSI-X
     * table, 0 for MSI.
     */
    int mapPirqMsi(int domain, int pirq, int bus, int devfn, int entry, long tableBase);

    void unmapPirq(int domain, int pirq);

    /** xc_domain_bind_pt_pci_irq: the pirq arrives as INTx {@code intx} (0-3) of guest device bus:device. */
    void bindPciIrq(int domain, int pirq, int bus, int device, int intx);

    void unbindPciIrq(int domain, int pirq, int bus, int device, int intx);

    /** xc_domain_update_msi_irq: the pirq arrives as guest vector {@code vector} with {@code flags}. */
    void updateMsiIrq(int domain, int vector, int pirq, int flags);

    void unbindMsiIrq(int domain, int vector, int pirq, int flags);

    /** xendevicemodel_set_pci_intx_level for an emulated device's pin. */
    void setPciIntxLevel(int domain, int bus, int device, int intx, boolean asserted);

    /** xendevicemodel_inject_msi. */
    void injectMsi(int domain, long address, int data);

    @Override
    void close();
}
