package dev.passthru.device;

/** Where a pass-through function is in its life. */
public enum DeviceState {
    /** Assigned, its resources applied as the guest asks. */
    ATTACHED,
    /** Everything taken down; nothing of it is left in the hypervisor. */
    DETACHED,
    /** A take-down step failed: something may be left, and the operator must clean up. */
    NEEDS_CLEANUP
}
