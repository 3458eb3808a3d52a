package dev.passthru.vfiouser;

import dev.passthru.InputError;
import dev.passthru.bus.EnumeratedFunction;
import dev.passthru.bus.GuestSide;
import dev.passthru.bus.Presentation;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.host.HostFunction;
import dev.passthru.log.RateLimitedLog;
import dev.passthru.os.UnixSockets;
import dev.passthru.vfio.VfioCalls;

import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A VM whose guest runs in a VMM that speaks vfio-user (QEMU's vfio-user-pci, cloud-hypervisor):
 * each function plugged is served on its own socket in the VM's folder, named after the host
 * function ({@code 0000:03:00.0.sock}), for the VMM to connect to; unplugging takes the socket
 * away. The VMM enumerates by itself, so this side reports no enumeration. The functions'
 * interrupts are left to the client's SET_IRQS (see {@link ClientRoutedConfig}).
 */
public final class VfioUserGuestSide implements GuestSide {

    private static final RateLimitedLog LOG = RateLimitedLog.of(VfioUserGuestSide.class.getName());

    private final UnixSockets sockets;
    private final VfioCalls calls;
    private final Path folder;
    private final Map<String, VfioUserServer> servers = new HashMap<>();

    /**
     * @throws InputError where {@code folder} cannot be made
     */
    public VfioUserGuestSide(UnixSockets sockets, VfioCalls calls, Path folder) {
        this.sockets = sockets;
        this.calls = calls;
        this.folder = folder;
        try {
            Files.createDirectories(folder);
        } catch (java.io.IOException e) {
            throw new InputError("vfio-user folder " + folder + ": cannot be made (" + e.getMessage() + ")");
        }
    }

    /** Where the function's socket is, once plugged. */
    public Path socket(HostFunction function) {
        return folder.resolve(function.address() + ".sock");
    }

    @Override
    public Presentation present(HostFunction host) {
        return Presentation.asIs(ClientRoutedConfig.routedByClient(host));
    }

    @Override
    public synchronized void plugged(int slot, List<PassthroughDevice> devices) {
        for (PassthroughDevice device : devices) {
            ServedFunction function = new ServedFunction(device, ClientRoutedConfig.vfio(device.function()),
                    "as the VM's events say");
            String path = socket(device.function()).toString();
            servers.put(path, VfioUserServer.start(sockets, calls, function, path));
            LOG.log(Level.INFO, "slot 0x%02x: serving %s on %s: %s", slot, device.function().address(), path,
                    function.describe());
        }
    }

    @Override
    public synchronized void unplugging(int slot, List<PassthroughDevice> devices) {
        for (PassthroughDevice device : devices) {
            VfioUserServer server = servers.remove(socket(device.function()).toString());
            if (server != null) {
                server.close();
            }
        }
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
        throw new InputError("a vfio-user VMM's guest writes its own registers; poke works with the built-in guest");
    }

    /** Sockets served now, by path, with the clients each has taken. */
    public synchronized Map<String, Long> served() {
        Map<String, Long> clients = new HashMap<>();
        servers.forEach((path, server) -> clients.put(path, server.clients()));
        return clients;
    }

    @Override
    public synchronized void close() {
        servers.values().forEach(VfioUserServer::close);
        servers.clear();
    }
}
