package dev.passthru.xen;

/**
 * The "gflags" word of xc_domain_update_msi_irq: the parts of an x86 MSI address and data
 * that say where and how the vector is delivered (destination, redirection hint, destination
 * mode, delivery mode, trigger mode), packed as Xen's XEN_DOMCTL_VMSI_X86_* masks lay out.
 */
final class MsiFlags {

    private static final int REDIRECTION_HINT = 1 << 8;
    private static final int LOGICAL_DESTINATION = 1 << 9;
    private static final int DELIVERY_SHIFT = 12;
    private static final int LEVEL_TRIGGERED = 1 << 15;
    /** Deliver from the start: the device model binds a vector only when the guest left it unmasked. */
    private static final int UNMASKED = 1 << 16;

    private MsiFlags() {
    }

    static int of(long address, int data) {
        int flags = (int) (address >>> 12) & 0xff;
        if ((address & 0x8) != 0) {
            flags |= REDIRECTION_HINT;
        }
        if ((address & 0x4) != 0) {
            flags |= LOGICAL_DESTINATION;
        }
        flags |= ((data >>> 8) & 7) << DELIVERY_SHIFT;
        if ((data & 0x8000) != 0) {
            flags |= LEVEL_TRIGGERED;
        }
        return flags | UNMASKED;
    }

    static int vector(int data) {
        return data & 0xff;
    }

    /** Whether {@code address} is in the x86 interrupt window where MSI writes go. */
    static boolean x86Address(long address) {
        return (address & ~0xf_ffffL) == 0xfee0_0000L;
    }
}
