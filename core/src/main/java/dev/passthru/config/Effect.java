package dev.passthru.config;

import dev.passthru.host.BarKind;

/**
 * What a guest's config write asks of the layer that maps BARs and routes interrupts. Each value
 * describes the new state, read from the virtual config space after the write; the layer above
 * knows what it applied before, which it needs anyway to undo it.
 */
public sealed interface Effect {

    /**
     * A BAR's address changed.
     *
     * @param placed whether the address is one the BAR can decode: not 0, not the sizing
     *               pattern (the last byte at the top of its space), not past 64 KiB of I/O
     */
    record BarMoved(int bar, BarKind kind, long address, long size, boolean placed) implements Effect {
    }

    /** The expansion ROM's address or enable bit changed. */
    record RomChanged(long address, long size, boolean enabled, boolean placed) implements Effect {
    }

    /** Memory or I/O decode was turned on or off in the guest's command register. */
    record DecodeChanged(boolean memory, boolean io) implements Effect {
    }

    /** The guest's INTx disable bit changed. */
    record IntxChanged(boolean disabled) implements Effect {
    }

    /** The guest's MSI enable, vector count, address, data or mask bits changed. */
    record MsiChanged(boolean enabled, int vectors, long address, int data, int maskBits) implements Effect {
    }

    /** The guest's MSI-X enable or function mask changed. */
    record MsixChanged(boolean enabled, boolean functionMasked) implements Effect {
    }

    /** The guest asked for a function-level reset. */
    record ResetRequested() implements Effect {
    }

    /** The guest wrote the host's power state (power_mgmt=1): D0-D3hot as 0-3. */
    record PowerStateWritten(int state) implements Effect {
    }
}
