package dev.passthru.vm;

import dev.passthru.bus.GuestBus;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.guest.BuiltInGuest;
import dev.passthru.guest.EnumeratedFunction;
import dev.passthru.guest.SimulatedPlatform;
import dev.passthru.host.HostFunction;
import dev.passthru.hypervisor.sim.SimulatedHypervisor;
import dev.passthru.qemu.ProxyPresentation;

import java.util.List;

/** The built-in guest on the simulated platform: shows every function as it is. */
final class BuiltInGuestSide implements GuestSide {

    private final SimulatedPlatform platform;
    private final BuiltInGuest guest;

    BuiltInGuestSide(GuestBus bus, SimulatedHypervisor hypervisor, int domain, long highRamEnd) {
        this.platform = new SimulatedPlatform(bus, hypervisor, domain);
        this.guest = new BuiltInGuest(platform, highRamEnd);
    }

    @Override
    public void write(PassthroughDevice device, int bar, long offset, long value) {
        platform.mmioWrite(device.guestBarAddress(bar) + offset, 4, value);
    }

    @Override
    public ProxyPresentation.Presented present(HostFunction function) {
        return new ProxyPresentation.Presented(function, List.of());
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
