package dev.passthru.config;

/**
 * The change set a guest config write returns: one bit per kind of change, so that a write costs
 * no allocation. The layer that maps BARs and routes interrupts reconciles only what a change
 * set names with the state the config space now holds: the state is the truth, the bits say
 * where to look.
 */
public final class ConfigChanges {

    private ConfigChanges() {
    }

    public static final int NONE = 0;
    /** BAR i moved: bit {@code BAR0 << i}, i = 0-5. */
    public static final int BAR0 = 1;
    public static final int ALL_BARS = 0x3f;
    public static final int ROM = 1 << 6;
    public static final int DECODE = 1 << 7;
    public static final int INTX = 1 << 8;
    public static final int MSI = 1 << 9;
    public static final int MSIX = 1 << 10;
    public static final int RESET = 1 << 11;
    /** The guest wrote the host's power state (power_mgmt=1). */
    public static final int POWER = 1 << 12;

    public static boolean barMoved(int changes, int bar) {
        return (changes & (BAR0 << bar)) != 0;
    }
}
