package dev.passthru.spec;

/**
 * What to do when a device's reserved memory regions (RMRRs) clash with the guest's memory
 * layout: refuse to start the guest (strict) or warn and go on (relaxed). xl's default is
 * relaxed.
 */
public enum RdmPolicy {
    STRICT,
    RELAXED;

    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
