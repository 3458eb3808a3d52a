package dev.passthru.bus;

/** Where a slot of the guest's bus is in its hot-plug life. */
public enum SlotState {
    EMPTY,
    /** Its functions are being attached: a second request must wait. */
    PLUGGING,
    PRESENT,
    /** Its functions are being detached: a second request must wait. */
    UNPLUGGING,
    /** A detach left work behind; unplugging again retries it. */
    NEEDS_CLEANUP
}
