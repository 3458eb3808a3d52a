package dev.passthru.host;

/** Where a host function's description comes from. */
public enum Origin {
    /** The live Linux PCI tree, or a copy of one. */
    SYSFS("sysfs"),
    /** A recorded function: a passthru profile (JSON). */
    PROFILE("profile"),
    /** A recorded function: an lspci dump. */
    DUMP("dump");

    private final String word;

    Origin(String word) {
        this.word = word;
    }

    /** A recording stands in for hardware; it has no host driver to take it from. */
    public boolean recorded() {
        return this != SYSFS;
    }

    @Override
    public String toString() {
        return word;
    }
}
