package dev.passthru.bus;

import dev.passthru.host.HostFunction;

import java.util.List;

/**
 * A host function as a guest side can show it to its guest (QEMU's proxy, for one, shows a
 * 64-bit BAR as a 32-bit one), with notes that say what was changed.
 */
public record Presentation(HostFunction function, List<String> notes) {

    /** The function shown as it is. */
    public static Presentation asIs(HostFunction function) {
        return new Presentation(function, List.of());
    }
}
