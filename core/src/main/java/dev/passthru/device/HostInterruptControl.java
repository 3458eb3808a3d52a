package dev.passthru.device;

/**
 * Who turns the host function's own interrupt enables on and off once the hypervisor has routed
 * its vectors. On most hypervisors nobody needs to here (VFIO's kernel driver programs the
 * function itself when its interrupts are routed; a recording has none). On Xen the device
 * model must: Xen sets each MSI and MSI-X vector up but leaves the function's MSI and MSI-X
 * enables, the MSI-X function mask and INTx to dom0 (its "split brain" model).
 */
public interface HostInterruptControl {

    HostInterruptControl NONE = routed -> {
    };

    /**
     * Brings the host function in line with what is routed now; called after each change of
     * the routing, never with the same value twice in a row. Must not throw: the guest access
     * that caused the change never sees an error.
     */
    void follow(RoutedInterrupts routed);

    /**
     * What the hypervisor delivers for the function now.
     *
     * @param intx        its INTx is bound to the guest's pin
     * @param msi         an MSI vector is bound
     * @param msix        the guest turned MSI-X on
     * @param msixMasked  the guest masks the whole MSI-X function
     */
    record RoutedInterrupts(boolean intx, boolean msi, boolean msix, boolean msixMasked) {

        public static final RoutedInterrupts NONE = new RoutedInterrupts(false, false, false, false);
    }
}
