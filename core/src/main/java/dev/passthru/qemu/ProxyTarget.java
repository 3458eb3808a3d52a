package dev.passthru.qemu;

/**
 * What a QEMU proxy connection serves: one function's config space and BARs, as the guest
 * reaches them. No method throws for anything a guest does.
 */
public interface ProxyTarget {

    int configRead(int offset, int width);

    void configWrite(int offset, int width, int value);

    /** A BAR access at absolute guest-physical {@code address}; {@code memory} false for port I/O. */
    long barRead(long address, int width, boolean memory);

    void barWrite(long address, int width, long value, boolean memory);

    /** The guest reset the function. */
    void reset();
}
