package dev.passthru.device;

/** A range of guest-physical addresses, {@code first} to {@code last} inclusive. */
public record GuestRange(long first, long last) {

    public boolean contains(long address) {
        return address >= first && address <= last;
    }
}
