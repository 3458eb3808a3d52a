package dev.passthru.xen;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What passthru needs to be a Xen device model: the privcmd device of a dom0 and Debian's Xen
 * 4.17 tool libraries, xenstore's among them (a domain's death and the slot table go through
 * it). Each is looked for before any Xen command does anything, so that a machine without Xen
 * gets one line naming what is missing.
 */
public final class XenLibraries {

    static final String CONTROL = "libxenctrl.so.4.17";
    static final String DEVICE_MODEL = "libxendevicemodel.so.1";
    static final String FOREIGN_MEMORY = "libxenforeignmemory.so.1";
    static final String EVENT_CHANNELS = "libxenevtchn.so.1";
    static final String STORE = "libxenstore.so.4";
    private static final Path PRIVCMD = Path.of("/dev/xen/privcmd");

    private XenLibraries() {
    }

    /** Why Xen cannot be used here, in one line; empty when it can. */
    public static Optional<String> missing() {
        if (!Files.exists(PRIVCMD)) {
            return Optional.of("Xen is not available: no " + PRIVCMD
                    + " (passthru must run in a Xen dom0 with the xen-privcmd module loaded)");
        }
        for (String library : new String[] {CONTROL, DEVICE_MODEL, FOREIGN_MEMORY, EVENT_CHANNELS, STORE}) {
            try {
                SymbolLookup.libraryLookup(library, Arena.global());
            } catch (IllegalArgumentException e) {
                return Optional.of("Xen is not available: no " + library
                        + " (install Xen 4.17's libraries: apt-get install libxen-dev)");
            }
        }
        return Optional.empty();
    }

    /** The library, loaded for the life of the process. */
    static SymbolLookup load(String library) {
        return SymbolLookup.libraryLookup(library, Arena.global());
    }
}
