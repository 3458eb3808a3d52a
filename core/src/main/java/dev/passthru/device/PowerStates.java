package dev.passthru.device;

import dev.passthru.host.HostConfig;
import dev.passthru.host.HostFunction;
import dev.passthru.log.RateLimitedLog;

import java.lang.System.Logger.Level;

import static dev.passthru.pci.PciRegs.*;

/**
 * A host function whose D-state the guest programs (xl's power_mgmt=1), followed as the PCI PM
 * rules ask (PCI Bus Power Management 1.2 section 5.6.1 and 5.4.1): after D3hot to D0 the
 * function gets its 10 ms before anything touches it, and if it then says it did a soft reset
 * (No_Soft_Reset clear) its header, lost with the reset, is written back as it was at attach:
 * BARs, ROM, cache line size, latency timer, interrupt line, then the command register last,
 * as Linux restores it.
 */
final class PowerStates {

    private static final RateLimitedLog LOG = RateLimitedLog.of(PowerStates.class.getName());
    private static final int D0 = 0;
    private static final int D3HOT = 3;
    private static final long D3HOT_RECOVERY_MILLIS = 10;
    /** Offset and width of each header register a soft reset clears, in the order they are restored. */
    private static final int[][] RESTORED = {
            {PCI_BASE_ADDRESS_0, 4}, {PCI_BASE_ADDRESS_0 + 4, 4}, {PCI_BASE_ADDRESS_0 + 8, 4}, {PCI_BASE_ADDRESS_0 + 12, 4},
            {PCI_BASE_ADDRESS_0 + 16, 4}, {PCI_BASE_ADDRESS_0 + 20, 4}, {PCI_ROM_ADDRESS, 4}, {PCI_CACHE_LINE_SIZE, 1},
            {PCI_LATENCY_TIMER, 1}, {PCI_INTERRUPT_LINE, 1}, {PCI_COMMAND, 2}};

    private final HostFunction function;
    private final HostConfig host;
    private final int control;
    private final byte[] header;
    private int state;

    /** @param capability where the function's power-management capability is */
    PowerStates(HostFunction function, int capability) {
        this.function = function;
        this.host = function.config();
        this.control = capability + PCI_PM_CTRL;
        this.header = host.snapshot(PCI_STD_HEADER_SIZEOF);
        this.state = current();
    }

    /**
     * After the guest wrote the power state through to the host: waits and restores as above.
     *
     * @return whether the function did a soft reset (and its header was restored): what else
     *         it had been given, such as its MSI programming, is lost too
     */
    boolean written() {
        int was = state;
        state = current();
        if (was != D3HOT || state != D0) {
            LOG.log(Level.INFO, "%s: power state D%d to D%d", function.address(), was, state);
            return false;
        }
        try {
            Thread.sleep(D3HOT_RECOVERY_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if ((host.read(control, 2) & PCI_PM_CTRL_NO_SOFT_RESET) != 0) {
            LOG.log(Level.INFO, "%s: power state D3hot to D0: waited %d ms; No_Soft_Reset set, config kept",
                    function.address(), D3HOT_RECOVERY_MILLIS);
            return false;
        }
        int restored = 0;
        for (int[] register : RESTORED) {
            int saved = 0;
            for (int i = register[1] - 1; i >= 0; i--) {
                saved = saved << 8 | header[register[0] + i] & 0xff;
            }
            if (host.read(register[0], register[1]) != saved) {
                host.write(register[0], register[1], saved);
                restored++;
            }
        }
        LOG.log(Level.INFO, "%s: power state D3hot to D0: waited %d ms; soft reset (No_Soft_Reset clear): %d header "
                + "register(s) restored, interrupts set up again", function.address(), D3HOT_RECOVERY_MILLIS, restored);
        return true;
    }

    private int current() {
        return host.read(control, 2) & PCI_PM_CTRL_STATE_MASK;
    }
}
