package dev.passthru.vm;

import dev.passthru.bus.GuestBus;
import dev.passthru.hypervisor.HypervisorState;

import java.util.List;

/**
 * What {@code passthru run} did: each function, the hypervisor's tables at the end, the slot
 * table, what run-time actions did, problems met reading the host, and how long attaching and
 * the guest's enumeration took in all.
 */
public record RunReport(String name, long memoryMib, List<GuestFunctionReport> functions, String hypervisorKind,
                        HypervisorState hypervisor,
                        List<GuestBus.Vslot> vslots, List<String> hostProblems, List<String> ignoredSettings,
                        List<String> events, long attachNanos, long enumerateNanos) {

    /** The same report with another list of events. */
    public RunReport withEvents(List<String> newEvents) {
        return new RunReport(name, memoryMib, functions, hypervisorKind, hypervisor, vslots, hostProblems, ignoredSettings, newEvents,
                attachNanos, enumerateNanos);
    }

    public boolean allAttached() {
        return functions.stream().allMatch(GuestFunctionReport::attached);
    }
}
