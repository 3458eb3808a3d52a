package dev.passthru.config;

/**
 * Guest accesses that were answered without effect, by kind: evidence of a buggy or hostile
 * guest, kept without limit while the log says so only at a limited rate.
 *
 * @param outOfRange     accesses (partly) past the function's config space
 * @param badWidth       accesses of a width other than 1, 2 or 4
 * @param reservedWrites writes with 1s in reserved bits that did not reach the host
 */
public record AccessCounters(long outOfRange, long badWidth, long reservedWrites) {
}
