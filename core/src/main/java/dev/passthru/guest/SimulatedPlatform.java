package dev.passthru.guest;

import dev.passthru.bus.GuestBus;
import dev.passthru.hypervisor.GuestMemory;

import java.util.OptionalLong;

/**
 * The guest side of a simulated machine: config accesses go to the bus; a memory access goes
 * where a real one would, straight through the hypervisor's p2m to the machine BAR when its
 * page is mapped, else to the device model when a function traps it, else nowhere (all-ones).
 */
public final class SimulatedPlatform implements GuestAccess {

    private final GuestBus bus;
    private final GuestMemory hypervisor;
    private final int domain;

    public SimulatedPlatform(GuestBus bus, GuestMemory hypervisor, int domain) {
        this.bus = bus;
        this.hypervisor = hypervisor;
        this.domain = domain;
    }

    @Override
    public int configRead(int device, int function, int offset, int width) {
        return bus.configRead(device, function, offset, width);
    }

    @Override
    public void configWrite(int device, int function, int offset, int width, int value) {
        bus.configWrite(device, function, offset, width, value);
    }

    @Override
    public long mmioRead(long address, int width) {
        OptionalLong direct = hypervisor.guestRead(domain, address, width);
        if (direct.isPresent()) {
            return direct.getAsLong();
        }
        return bus.mmioRead(address, width).orElse(width == 8 ? -1L : (1L << (8 * width)) - 1);
    }

    @Override
    public void mmioWrite(long address, int width, long value) {
        if (!hypervisor.guestWrite(domain, address, width, value)) {
            bus.mmioWrite(address, width, value);
        }
    }
}
