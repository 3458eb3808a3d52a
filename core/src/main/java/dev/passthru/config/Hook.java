package dev.passthru.config;

/**
 * A change in the virtual config space that the layer above acts on. Each hook sets one bit of
 * the change set a write returns (see {@link ConfigChanges}).
 */
public enum Hook {
    BAR0(ConfigChanges.BAR0),
    BAR1(ConfigChanges.BAR0 << 1),
    BAR2(ConfigChanges.BAR0 << 2),
    BAR3(ConfigChanges.BAR0 << 3),
    BAR4(ConfigChanges.BAR0 << 4),
    BAR5(ConfigChanges.BAR0 << 5),
    ROM(ConfigChanges.ROM),
    DECODE(ConfigChanges.DECODE),
    INTX(ConfigChanges.INTX),
    MSI(ConfigChanges.MSI),
    MSIX(ConfigChanges.MSIX),
    /** Function-level reset: fires on a 1 written, since the bit itself always reads 0. */
    FLR(ConfigChanges.RESET),
    /**
     * The power state written through to the host (xl's power_mgmt=1): fires on every write of
     * it, since the guest's D-state is the host's and no copy is kept to compare with.
     */
    POWER(ConfigChanges.POWER);

    private static final Hook[] VALUES = values();

    private final int change;

    Hook(int change) {
        this.change = change;
    }

    public static Hook bar(int index) {
        return VALUES[BAR0.ordinal() + index];
    }

    /** The bit this hook sets in a change set. */
    public int change() {
        return change;
    }

    /** Fires on the value written rather than on a change of the stored bits. */
    public boolean trigger() {
        return this == FLR;
    }

    /** Fires on any write of its bits, whatever was written. */
    public boolean onEveryWrite() {
        return this == POWER;
    }

    /** Per-byte code in the compiled layout: 0 means no hook. */
    int code() {
        return ordinal() + 1;
    }

    static Hook ofCode(int code) {
        return VALUES[code - 1];
    }
}
