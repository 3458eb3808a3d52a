package dev.passthru.device;

import java.util.List;

/**
 * How a detach went: every step that failed, in order. Empty means nothing of the function is
 * left in the hypervisor.
 */
public record DetachReport(DeviceState state, List<String> failures) {

    public DetachReport {
        failures = List.copyOf(failures);
    }

    public boolean clean() {
        return failures.isEmpty();
    }
}
