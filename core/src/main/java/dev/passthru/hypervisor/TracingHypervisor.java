package dev.passthru.hypervisor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A hypervisor that notes every call made through it, and how it ended, before passing it on:
 * for users who want to see what an attach asks of the hypervisor, and for debugging a backend.
 */
public final class TracingHypervisor extends DecoratingHypervisor {

    private final List<String> trace = new ArrayList<>();

    public TracingHypervisor(Hypervisor target) {
        super(target);
    }

    /** Every call so far, one line each: {@code map_mmio(domain 1, ...) -> ok}. */
    public synchronized List<String> trace() {
        return List.copyOf(trace);
    }

    @Override
    protected <T> T around(String operation, Supplier<String> arguments, Supplier<T> call) {
        String line = operation + "(" + arguments.get() + ")";
        try {
            T result = call.get();
            note(line + (result != null ? " -> pirq " + result : " -> ok"));
            return result;
        } catch (HypervisorException e) {
            note(line + " -> refused: " + e.reason());
            throw e;
        }
    }

    private synchronized void note(String line) {
        trace.add(line);
    }
}
