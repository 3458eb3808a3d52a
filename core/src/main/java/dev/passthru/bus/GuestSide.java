package dev.passthru.bus;

import dev.passthru.device.PassthroughDevice;
import dev.passthru.host.HostFunction;

import java.util.List;

/**
 * Who plays the guest of a VM and carries its accesses to the bus: the built-in guest, a real
 * guest under QEMU (its multi-process proxy), or a Xen HVM guest (an ioreq server). The VM tells
 * it what was plugged and unplugged; it says how a function must be shown to it and what the
 * guest found, where it can know that.
 */
public interface GuestSide extends AutoCloseable {

    /**
     * The function as this guest side can show it.
     *
     * @throws dev.passthru.InputError when it cannot be shown
     */
    Presentation present(HostFunction function);

    /** A slot's functions were attached: from now on the guest's accesses to them arrive. */
    void plugged(int slot, List<PassthroughDevice> devices);

    /** A slot's functions are about to be detached: no access reaches them after this returns. */
    void unplugging(int slot, List<PassthroughDevice> devices);

    /** The guest starts; what it enumerated, where this side reports that (empty where the guest enumerates unseen). */
    List<EnumeratedFunction> boot();

    /** A slot arrived in the running guest; what it enumerated, where this side reports that. */
    List<EnumeratedFunction> arrived(int slot);

    /**
     * The guest writes {@code value} to a register of one of its functions' BARs, at its guest address.
     *
     * @throws dev.passthru.InputError where this side's guest is a real one that passthru cannot drive
     */
    void write(PassthroughDevice device, int bar, long offset, long value);

    /**
     * The guest's domain is gone and the hypervisor took back what it held: let go of what serves
     * the guest without asking the hypervisor for anything.
     */
    default void abandon() {
        close();
    }

    @Override
    void close();
}
