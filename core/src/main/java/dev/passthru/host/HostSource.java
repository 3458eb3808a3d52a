package dev.passthru.host;

/** Somewhere host functions can be read from: sysfs, a folder of profiles, an lspci dump. */
public interface HostSource {

    /** How much of each function to read. */
    enum Detail {
        /** What a listing and assignability need: identity, BARs, driver, IOMMU group. */
        LISTING,
        /** All of it, interrupt line and NUMA node too. */
        FULL
    }

    /**
     * Reads every function; entries that cannot be read become problem lines, not failures.
     * Sources that hold everything in memory give everything whatever the detail asked.
     */
    Inventory scan(Detail detail);

    /** Reads every function in full. */
    default Inventory scan() {
        return scan(Detail.FULL);
    }
}
