package dev.passthru.xen;

import dev.passthru.InputError;
import dev.passthru.bus.EnumeratedFunction;
import dev.passthru.bus.GuestSide;
import dev.passthru.bus.Presentation;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.host.HostFunction;

import java.util.ArrayList;
import java.util.List;

/**
 * A Xen HVM guest as a VM's guest side: the domain's {@link IoreqServer} brings its config
 * accesses and trapped BAR accesses to the functions plugged here. The guest's firmware and
 * kernel enumerate by themselves, so this side reports no enumeration of its own.
 */
public final class XenGuestSide implements GuestSide {

    private final IoreqServer server;

    public XenGuestSide(IoreqServer server) {
        this.server = server;
    }

    public IoreqServer server() {
        return server;
    }

    @Override
    public Presentation present(HostFunction function) {
        return Presentation.asIs(function);
    }

    /** Serves each function, or none: a failure stops serving those already served. */
    @Override
    public void plugged(int slot, List<PassthroughDevice> devices) {
        List<PassthroughDevice> served = new ArrayList<>();
        try {
            for (PassthroughDevice device : devices) {
                server.serve(device);
                served.add(device);
            }
        } catch (RuntimeException e) {
            served.forEach(server::release);
            throw e;
        }
    }

    @Override
    public void unplugging(int slot, List<PassthroughDevice> devices) {
        devices.forEach(server::release);
    }

    @Override
    public List<EnumeratedFunction> boot() {
        return List.of();
    }

    @Override
    public List<EnumeratedFunction> arrived(int slot) {
        return List.of();
    }

    @Override
    public void write(PassthroughDevice device, int bar, long offset, long value) {
        throw new InputError("a Xen guest writes its own registers; poke works with the built-in guest");
    }

    /** The domain is gone and took the ioreq server down with it: only passthru's end is let go of. */
    @Override
    public void abandon() {
        server.abandon();
    }

    @Override
    public void close() {
        server.close();
    }
}
