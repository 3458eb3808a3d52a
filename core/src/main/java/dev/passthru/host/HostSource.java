package dev.passthru.host;

/** Somewhere host functions can be read from: sysfs, a folder of profiles, an lspci dump. */
public interface HostSource {

    /** Reads every function; entries that cannot be read become problem lines, not failures. */
    Inventory scan();
}
