package dev.passthru.xen;

import org.jspecify.annotations.Nullable;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One vCPU's slot of the shared ioreq page (Xen's struct ioreq, 32 bytes): what the guest
 * asked, read once the slot says it is ready, and the answer written back before the slot is
 * handed to Xen again. Offsets and bit positions are those of xen/hvm/ioreq.h.
 */
record Ioreq(long address, long data, int count, int size, boolean dataIsPointer, boolean read, boolean down, int type) {

    static final int SLOT = 32;
    static final int TYPE_PIO = 0;
    static final int TYPE_MMIO = 1;
    static final int TYPE_PCI_CONFIG = 2;

    private static final int ADDRESS = 0;
    private static final int DATA = 8;
    private static final int COUNT = 16;
    private static final int SIZE = 20;
    private static final int PORT = 24;
    private static final int FLAGS = 30;
    private static final int TYPE = 31;
    private static final int STATE_MASK = 0xf;
    private static final int READY = 1;
    private static final int IN_PROCESS = 2;
    private static final int RESPONSE_READY = 3;

    /** The event channel port Xen gave this vCPU on the server's side; 0 past the last vCPU. */
    static int remotePort(MemorySegment page, int vcpu) {
        return page.get(JAVA_INT, (long) vcpu * SLOT + PORT);
    }

    /** The vCPU's request if one is waiting (and marks it taken), else null. */
    static @Nullable Ioreq take(MemorySegment page, int vcpu) {
        return take(page, vcpu, false);
    }

    /**
     * As {@link #take}, and also a request an earlier device model took and never answered (it
     * died): the vCPU still waits for it, so it is carried out again.
     */
    static @Nullable Ioreq takeLeft(MemorySegment page, int vcpu) {
        return take(page, vcpu, true);
    }

    private static @Nullable Ioreq take(MemorySegment page, int vcpu, boolean orTaken) {
        long slot = (long) vcpu * SLOT;
        int flags = page.get(JAVA_BYTE, slot + FLAGS);
        int state = flags & STATE_MASK;
        if (state != READY && !(orTaken && state == IN_PROCESS)) {
            return null;
        }
        VarHandle.acquireFence();
        Ioreq request = new Ioreq(page.get(JAVA_LONG, slot + ADDRESS), page.get(JAVA_LONG, slot + DATA),
                page.get(JAVA_INT, slot + COUNT), page.get(JAVA_INT, slot + SIZE), (flags & 0x10) != 0, (flags & 0x20) != 0,
                (flags & 0x40) != 0, Byte.toUnsignedInt(page.get(JAVA_BYTE, slot + TYPE)));
        page.set(JAVA_BYTE, slot + FLAGS, (byte) ((flags & ~STATE_MASK) | IN_PROCESS));
        return request;
    }

    /** Writes the answer (the data of a read) and hands the slot back to Xen. */
    static void answer(MemorySegment page, int vcpu, Ioreq request, long data) {
        long slot = (long) vcpu * SLOT;
        if (request.read() && !request.dataIsPointer()) {
            page.set(JAVA_LONG, slot + DATA, data);
        }
        VarHandle.releaseFence();
        int flags = page.get(JAVA_BYTE, slot + FLAGS);
        page.set(JAVA_BYTE, slot + FLAGS, (byte) ((flags & ~STATE_MASK) | RESPONSE_READY));
    }

    /** The bytes an access of {@code size} carries. */
    long mask() {
        return size >= 8 ? -1L : (1L << (size * 8)) - 1;
    }
}
