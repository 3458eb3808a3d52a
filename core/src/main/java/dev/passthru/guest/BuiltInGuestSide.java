package dev.passthru.guest;

import dev.passthru.bus.EnumeratedFunction;
import dev.passthru.bus.GuestBus;
import dev.passthru.bus.GuestSide;
import dev.passthru.bus.Presentation;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.host.HostFunction;
import dev.passthru.hypervisor.GuestMemory;

import java.util.List;

/**
 * The built-in guest as a VM's guest side: it runs inside passthru, reaches the bus directly and
 * its mapped BAR pages through the hypervisor's p2m, and shows every function as it is.
 */
public final class BuiltInGuestSide implements GuestSide {

    private final SimulatedPlatform platform;
    private final BuiltInGuest guest;

    public BuiltInGuestSide(GuestBus bus, GuestMemory memory, int domain, long highRamEnd) {
        this.platform = new SimulatedPlatform(bus, memory, domain);
        this.guest = new BuiltInGuest(platform, highRamEnd);
    }

    @Override
    public void write(PassthroughDevice device, int bar, long offset, long value) {
        platform.mmioWrite(device.guestBarAddress(bar) + offset, 4, value);
    }

    @Override
    public Presentation present(HostFunction function) {
        return Presentation.asIs(function);
    }

    @Override
    public void plugged(int slot, List<PassthroughDevice> devices) {
    }

    @Override
    public void unplugging(int slot, List<PassthroughDevice> devices) {
    }

    @Override
    public List<EnumeratedFunction> boot() {
        return guest.boot();
    }

    @Override
    public List<EnumeratedFunction> arrived(int slot) {
        return guest.arrived(slot);
    }

    @Override
    public void close() {
    }
}
