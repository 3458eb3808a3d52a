package dev.passthru.device;

import dev.passthru.hypervisor.HypervisorException;

import java.util.ArrayList;
import java.util.List;

/**
 * How hypervisor failures are handled while resources are brought in line: thrown at once
 * (inside a transaction, which then rolls back), or collected so that the rest still runs
 * (a take-down, or a guest's write, which must never fail the guest).
 */
final class Failures {

    private final boolean collect;
    private final List<HypervisorException> collected = new ArrayList<>();

    private Failures(boolean collect) {
        this.collect = collect;
    }

    /** The first failure is thrown. */
    static Failures strict() {
        return new Failures(false);
    }

    /** Failures are kept and the work goes on. */
    static Failures collecting() {
        return new Failures(true);
    }

    void failed(HypervisorException e) {
        if (!collect) {
            throw e;
        }
        collected.add(e);
    }

    List<HypervisorException> collected() {
        return collected;
    }

    boolean any() {
        return !collected.isEmpty();
    }
}
