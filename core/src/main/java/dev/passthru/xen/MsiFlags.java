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
    /**
     * Deliver from the start. Not for a vector whose guest asked for a pirq: Xen unmasks that one
     * when the guest binds its event channel to the pirq, and delivers it as the message's
     * vector (0) until then.
     */
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
        return requestedPirq(address, data) > 0 ? flags : flags | UNMASKED;
    }

    static int vector(int data) {
        return data & 0xff;
    }

    /**
     * The pirq a guest asks for in its message, 0 when it asks for none. A Linux HVM guest that
     * routes MSIs through event channels writes vector 0 (no x86 interrupt uses it) and the pirq
     * it took from Xen in the destination ID: bits 0-7 in address bits 12-19, the rest in the
     * upper address bits 8-31 (Linux's xen_msi_compose_msg; QEMU's xen_pt reads it the same way).
     */
    static int requestedPirq(long address, int data) {
        if (vector(data) != 0) {
            return 0;
        }
        return (int) ((address >>> 12) & 0xff) | (int) ((address >>> 32) & 0xffff_ff00L);
    }

    /** Whether {@code address}'s low half is in the x86 interrupt window where MSI writes go. */
    static boolean x86Address(long address) {
        return (address & 0xfff0_0000L) == 0xfee0_0000L;
    }
}
