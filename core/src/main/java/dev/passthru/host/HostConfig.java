package dev.passthru.host;

import java.util.Optional;

/**
 * The config space of a real (host) function, as the device model reaches it: sysfs, VFIO, or
 * a recording. Offsets are bytes from 0; widths are 1, 2 or 4; values are little-endian, as on
 * the bus. Reads of bytes the source cannot give (past {@link #readable()}) return all-ones,
 * as a master abort does, and so does an access that does not fit inside {@link #size()}
 * (a write there is dropped). Guest accesses end here, so neither method throws: a source whose
 * read fails answers all-ones, and one whose write fails drops it, and both say so in their
 * own log. HostSourceContract (in the tests) holds every source to this.
 */
public interface HostConfig {

    /** Config space size of the function: 256, or 4096 for PCI Express. */
    int size();

    /**
     * Bytes from offset 0 that this source can read: {@link #size()} normally, fewer for a
     * partial dump or a sysfs file read without privilege (64 bytes).
     */
    int readable();

    /** Reads {@code width} bytes at {@code offset}; all-ones where the access does not fit inside {@link #size()}. */
    int read(int offset, int width);

    /** Writes {@code width} bytes at {@code offset}; dropped where the access does not fit inside {@link #size()}. */
    void write(int offset, int width, int value);

    /**
     * Gives back what the source holds open for the function (a VFIO device; its group and
     * container with the group's last function) once it is detached; the next access takes it
     * again. A source that reset the function for a guest ({@link #resetForGuest}) resets it
     * again first, before anything else may reach it, and says so as that method does; empty
     * where nothing was done to the function (most sources hold nothing).
     */
    default Optional<String> release() {
        return Optional.empty();
    }

    /**
     * Resets the function before it is given to a guest, where this source is what holds it
     * (VFIO: while vfio-pci has the function nothing else on the host resets it): what was
     * done, said as the sysfs reset is ("reset: VFIO_DEVICE_RESET", "not reset: why"), or
     * empty where the reset is not this source's (a recording; a pciback function, which Xen's
     * domain resets through sysfs).
     *
     * @throws dev.passthru.InputError when the reset failed; the function should not be given
     */
    default Optional<String> resetForGuest() {
        return Optional.empty();
    }

    /**
     * Resets the real function, where the source can, its config space left as the host had
     * it (the kernel saves and restores it around the reset); the method used, or empty when
     * this source cannot (a recording; a function the device model may not change).
     */
    default Optional<String> resetFunction() {
        return Optional.empty();
    }

    /** The function's own interrupts, where the source can deliver them (VFIO); none otherwise. */
    default HostInterrupts interrupts() {
        return HostInterrupts.NONE;
    }

    /**
     * The first {@code length} bytes (at most {@link #size()}), all-ones past {@link #readable()};
     * a source that can read many bytes at once does so.
     */
    default byte[] snapshot(int length) {
        byte[] out = new byte[Math.min(length, size())];
        int at = 0;
        for (; at + 4 <= out.length; at += 4) {
            int value = read(at, 4);
            for (int i = 0; i < 4; i++) {
                out[at + i] = (byte) (value >>> (8 * i));
            }
        }
        for (; at < out.length; at++) {
            out[at] = (byte) read(at, 1);
        }
        return out;
    }
}
