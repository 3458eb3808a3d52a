package dev.passthru.guest;

/**
 * What a guest's accesses reach: config space of bus 0 by device and function, and physical
 * memory addresses where BARs are placed. Reads of nothing answer all-ones, as on a real bus.
 */
public interface GuestAccess {

    int configRead(int device, int function, int offset, int width);

    void configWrite(int device, int function, int offset, int width, int value);

    long mmioRead(long address, int width);

    void mmioWrite(long address, int width, long value);
}
