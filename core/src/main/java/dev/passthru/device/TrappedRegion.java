package dev.passthru.device;

/**
 * Part of a BAR that is not mapped through, whose guest accesses the guest side must trap and
 * hand to {@link PassthroughDevice#mmioRead} and {@link PassthroughDevice#mmioWrite}.
 */
public record TrappedRegion(int bar, long offset, long length) {
}
