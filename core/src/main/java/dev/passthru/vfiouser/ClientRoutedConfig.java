package dev.passthru.vfiouser;

import dev.passthru.host.HostConfig;
import dev.passthru.host.HostFunction;
import dev.passthru.host.HostInterrupts;
import dev.passthru.vfio.VfioDevice;
import dev.passthru.vfio.VfioHostConfig;
import org.jspecify.annotations.Nullable;

import java.util.Optional;

/**
 * A host function's config space with its interrupts left to the vfio-user client: the device
 * model must not route them itself (for a VFIO function that would take VFIO_DEVICE_SET_IRQS
 * from the client's eventfds), since SET_IRQS from the client says where each vector goes.
 */
final class ClientRoutedConfig implements HostConfig {

    private final HostConfig host;

    private ClientRoutedConfig(HostConfig host) {
        this.host = host;
    }

    /** {@code host} as a vfio-user server shows it to the device model: its interrupts the client's. */
    static HostFunction routedByClient(HostFunction host) {
        return new HostFunction(host.address(), host.origin(), host.source(), host.header(),
                new ClientRoutedConfig(host.config()), host.bars(), host.unsized(), host.memory(), host.binding());
    }

    /** The VFIO device behind a function (wrapped or not), opened; null where it is not a VFIO function. */
    static @Nullable VfioDevice vfio(HostFunction function) {
        HostConfig config = function.config() instanceof ClientRoutedConfig routed ? routed.host : function.config();
        return config instanceof VfioHostConfig v ? v.handle().device() : null;
    }

    @Override
    public int size() {
        return host.size();
    }

    @Override
    public int readable() {
        return host.readable();
    }

    @Override
    public int read(int offset, int width) {
        return host.read(offset, width);
    }

    @Override
    public void write(int offset, int width, int value) {
        host.write(offset, width, value);
    }

    @Override
    public Optional<String> release() {
        return host.release();
    }

    @Override
    public Optional<String> resetForGuest() {
        return host.resetForGuest();
    }

    @Override
    public Optional<String> resetFunction() {
        return host.resetFunction();
    }

    @Override
    public HostInterrupts interrupts() {
        return HostInterrupts.NONE;
    }
}
