package dev.passthru.bus;

import dev.passthru.host.BarKind;

/**
 * A BAR as the guest's firmware found it by sizing, and where it put it.
 *
 * @param index   register index 0-5, or {@link #ROM}
 * @param address guest address given, 0 when nothing was free
 */
public record SizedBar(int index, BarKind kind, boolean prefetchable, long size, long address) {

    public static final int ROM = 6;

    public SizedBar placedAt(long at) {
        return new SizedBar(index, kind, prefetchable, size, at);
    }

    public boolean rom() {
        return index == ROM;
    }
}
