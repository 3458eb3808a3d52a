package dev.passthru.dump;

import dev.passthru.pci.PciAddress;

import java.util.Map;
import java.util.Optional;

/**
 * One function read from an lspci dump.
 *
 * @param address     as the dump's title line gives it
 * @param description the rest of the title line (class and device names)
 * @param config      the config bytes given, 64, 256, 4096 or a partial number of 16-byte rows
 * @param barSizes    BAR sizes from {@code Region N: ... [size=...]} lines, by register index
 * @param romSize     expansion ROM size from the {@code Expansion ROM ... [size=...]} line, 0 if none
 * @param driver      from the {@code Kernel driver in use:} line, if the dump has one
 * @param irq         from the {@code Interrupt: pin A routed to IRQ N} line, else the interrupt
 *                    line register; 0 for none
 * @param source      file name and line of the title, for messages
 */
public record DumpedFunction(PciAddress address, String description, byte[] config,
                             Map<Integer, Long> barSizes, long romSize, Optional<String> driver, int irq,
                             String source) {

    public DumpedFunction {
        barSizes = Map.copyOf(barSizes);
    }

    /** True when the dump holds fewer bytes than the function's config space has. */
    public boolean partial() {
        return config.length != 64 && config.length != 256 && config.length != 4096;
    }
}
