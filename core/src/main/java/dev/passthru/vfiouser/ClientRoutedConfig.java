package dev.passthru.vfiouser;

import dev.passthru.host.HostConfig;
import dev.passthru.host.HostInterrupts;

import java.util.Optional;

/**
 * A host function's config space with its interrupts left to the vfio-user client: the device
 * model must not route them itself (for a VFIO function that would take VFIO_DEVICE_SET_IRQS
 * from the client's eventfds), since SET_IRQS from the client says where each vector goes.
 */
final class ClientRoutedConfig implements HostConfig {

    private final HostConfig host;

    ClientRoutedConfig(HostConfig host) {
        this.host = host;
    }

    /** The host function's own config space. */
    HostConfig host() {
        return host;
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
