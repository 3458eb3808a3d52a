package dev.passthru.vm;

import dev.passthru.device.PassthroughDevice;
import dev.passthru.guest.EnumeratedFunction;
import dev.passthru.host.HostFunction;
import dev.passthru.qemu.ProxyPresentation;

import java.util.List;

/**
 * Who plays the guest of a VM: the built-in guest, or a real one under QEMU. The VM tells it
 * what was plugged and unplugged; it says how a function must be shown to it and what it found.
 */
public interface GuestSide extends AutoCloseable {

    /**
     * The function as this guest side can show it, with notes of what changed.
     *
     * @throws dev.passthru.InputError when it cannot be shown
     */
    ProxyPresentation.Presented present(HostFunction function);

    /** A slot's functions were attached. */
    void plugged(int slot, List<PassthroughDevice> devices);

    /** A slot's functions are about to be detached. */
    void unplugging(int slot, List<PassthroughDevice> devices);

    /** The guest starts; what it enumerated, where this side reports that. */
    List<EnumeratedFunction> boot();

    /** A slot arrived in the running guest; what it enumerated, where this side reports that. */
    List<EnumeratedFunction> arrived(int slot);

    /** The guest writes {@code value} to a register of one of its functions' BARs, at its guest address. */
    void write(PassthroughDevice device, int bar, long offset, long value);

    @Override
    void close();
}
