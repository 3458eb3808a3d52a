package dev.passthru.vfio;

/**
 * Which reset {@link VfioDevice#reset} did: the function's own (VFIO_DEVICE_RESET, which
 * vfio-pci offers where the kernel has a function-level, power-management or lone-on-its-bus
 * reset), a hot reset of the bus its IOMMU group sits on (every function on that bus is
 * reset), or none, and why.
 */
public record VfioReset(Kind kind, String detail) {

    public enum Kind { FUNCTION, HOT, NONE }

    static VfioReset function() {
        return new VfioReset(Kind.FUNCTION, "VFIO_DEVICE_RESET");
    }

    static VfioReset hot(String group) {
        return new VfioReset(Kind.HOT, "bus hot reset of group " + group);
    }

    static VfioReset none(String why) {
        return new VfioReset(Kind.NONE, why);
    }

    public boolean done() {
        return kind != Kind.NONE;
    }

    /** As a report says it, the way the sysfs reset is said: "reset: VFIO_DEVICE_RESET", "not reset: why". */
    public String said() {
        return done() ? "reset: " + detail : "not reset: " + detail;
    }
}
