package dev.passthru.device;

import java.util.Map;

/**
 * Where firmware puts a function when it is plugged in, before the guest's own driver looks:
 * BAR addresses by register index, the ROM address, and which decodes are on. A hot-plug
 * controller's firmware or a restored session gives one; {@link #NONE} leaves the function
 * as after reset, for the guest to place.
 *
 * @param bars        guest address of each BAR placed, by index
 * @param romAddress  guest address of the expansion ROM, 0 for none
 * @param romEnabled  ROM decode on
 * @param memory      memory decode on
 * @param io          I/O decode on
 */
public record Placement(Map<Integer, Long> bars, long romAddress, boolean romEnabled, boolean memory, boolean io) {

    public static final Placement NONE = new Placement(Map.of(), 0, false, false, false);

    public Placement {
        bars = Map.copyOf(bars);
    }
}
