package dev.passthru.vm;

import dev.passthru.bus.GuestBus;
import dev.passthru.hypervisor.sim.HypervisorState;

import java.util.List;

/**
 * What {@code passthru run} did: each function, the hypervisor's tables after the guest's
 * enumeration, the slot table, problems met reading the host, and how long it took.
 */
public record RunReport(String name, long memoryMib, List<GuestFunctionReport> functions, HypervisorState hypervisor,
                        List<GuestBus.Vslot> vslots, List<String> hostProblems, List<String> ignoredSettings,
                        long attachNanos, long enumerateNanos) {

    public boolean allAttached() {
        return functions.stream().allMatch(GuestFunctionReport::attached);
    }
}
