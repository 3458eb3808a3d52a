package dev.passthru.config;

/**
 * The guest's MSI registers as they stand: what the device layer routes and what tools show.
 *
 * @param vectors  vectors the guest enabled (a power of two), 1 while MSI is off
 * @param maskBits the per-vector mask bits, 0 where the function has none
 */
public record MsiState(boolean enabled, int vectors, long address, int data, int maskBits) {

    /** A function with no MSI kept: off. */
    public static final MsiState NONE = new MsiState(false, 0, 0, 0, 0);
}
