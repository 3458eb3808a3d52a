package dev.passthru.host;

import java.util.function.IntConsumer;

/**
 * The interrupts a host function raises, where the host backend can deliver them to the device
 * model (VFIO's eventfds); recordings and sysfs raise none. {@code fired} is called with the
 * vector number, on a thread of the backend's.
 */
public interface HostInterrupts {

    enum Kind { INTX, MSI, MSIX }

    HostInterrupts NONE = new HostInterrupts() {
        @Override
        public void route(Kind kind, int vectors, IntConsumer fired) {
        }

        @Override
        public void stop(Kind kind) {
        }
    };

    /** Delivers vectors {@code 0..vectors-1} of {@code kind} to {@code fired} until {@link #stop}. */
    void route(Kind kind, int vectors, IntConsumer fired);

    void stop(Kind kind);
}
