package dev.passthru.hypervisor;

import java.util.function.Supplier;

/**
 * A hypervisor that passes every call on to another, except the one it is told to fail: that
 * call is refused as the hypervisor would refuse it and reaches nothing. With it a caller's
 * undo can be tried at every call it makes, over any backend (`passthru sim attach
 * --fail-call` and the tests of attach, detach and BAR moves use it).
 */
public final class FaultyHypervisor extends DecoratingHypervisor {

    private long calls;
    private long failingCall;

    public FaultyHypervisor(Hypervisor target) {
        super(target);
    }

    /** Makes the {@code n}-th call from now (1: the next one) fail with an injected fault. */
    public synchronized void failCall(long n) {
        if (n < 1) {
            throw new IllegalArgumentException("calls count from 1");
        }
        failingCall = calls + n;
    }

    /** Calls made through it so far, the failed one included. */
    public synchronized long calls() {
        return calls;
    }

    @Override
    protected <T> T around(String operation, Supplier<String> arguments, Supplier<T> call) {
        synchronized (this) {
            calls++;
            if (calls == failingCall) {
                throw new HypervisorException(operation, arguments.get(), "injected fault (call " + calls + ")");
            }
        }
        return call.get();
    }
}
