package dev.passthru.qemu;

import dev.passthru.bus.EnumeratedFunction;
import dev.passthru.bus.GuestSide;
import dev.passthru.bus.Presentation;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.host.HostFunction;
import dev.passthru.os.UnixSockets;
import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A real guest under QEMU: each plugged function gets an {@code x-pci-proxy-dev} in its slot's
 * root port, served by a {@link ProxyConnection} on its own thread. The guest enumerates by
 * itself, so this side reports no enumeration of its own: the guest's console says what it saw.
 */
public final class QemuGuestSide implements GuestSide {

    private static final Duration UNPLUG_TIMEOUT = Duration.ofSeconds(30);

    private final UnixSockets sockets;
    private final QemuMachine machine;
    private final Map<String, Thread> servers = new HashMap<>();
    private final Map<String, ProxyConnection> connections = new HashMap<>();

    public QemuGuestSide(UnixSockets sockets, QemuMachine machine) {
        this.sockets = sockets;
        this.machine = machine;
    }

    @Override
    public Presentation present(HostFunction function) {
        return ProxyPresentation.of(function);
    }

    @Override
    public void plugged(int slot, List<PassthroughDevice> devices) {
        boolean multi = devices.size() > 1;
        for (PassthroughDevice device : devices) {
            int function = device.guestAddress().function();
            String id = slot + "." + function;
            int[] pair = sockets.socketPair();
            ProxyConnection connection = new ProxyConnection(sockets, pair[0], new DeviceProxyTarget(device),
                    device.function().address() + " as " + id);
            connections.put(id, connection);
            servers.put(id, Thread.ofPlatform().name("proxy-" + id).daemon().start(connection));
            try {
                machine.plug(slot, function, multi && function == 0, pair[1]);
            } catch (RuntimeException e) {
                sockets.shutdown(pair[0]);
                join(servers.remove(id));
                connections.remove(id);
                throw e;
            } finally {
                sockets.close(pair[1]);
            }
        }
    }

    @Override
    public void unplugging(int slot, List<PassthroughDevice> devices) {
        List<PassthroughDevice> reversed = new ArrayList<>(devices);
        Collections.reverse(reversed);
        for (PassthroughDevice device : reversed) {
            int function = device.guestAddress().function();
            machine.unplug(slot, function, UNPLUG_TIMEOUT);
            Thread server = servers.remove(slot + "." + function);
            join(server);
            connections.remove(slot + "." + function);
        }
    }

    @Override
    public List<EnumeratedFunction> boot() {
        machine.start();
        return List.of();
    }

    @Override
    public List<EnumeratedFunction> arrived(int slot) {
        return List.of();
    }

    @Override
    public void write(PassthroughDevice device, int bar, long offset, long value) {
        throw new dev.passthru.InputError("a QEMU guest writes its own registers; poke works with the built-in guest");
    }

    /** Messages each connection served so far, by slot.function. */
    public Map<String, Long> messages() {
        Map<String, Long> counts = new HashMap<>();
        connections.forEach((id, c) -> counts.put(id, c.messages()));
        return counts;
    }

    public QemuMachine machine() {
        return machine;
    }

    @Override
    public void close() {
        machine.close();
        servers.values().forEach(QemuGuestSide::join);
    }

    private static void join(@Nullable Thread thread) {
        if (thread == null) {
            return;
        }
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
