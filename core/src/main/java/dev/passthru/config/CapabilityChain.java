package dev.passthru.config;

import java.util.List;
import java.util.Optional;

/**
 * The capabilities of a host function in list order, and what was wrong with the lists, if
 * anything (a loop, a pointer into the header, a list that runs past the recorded bytes).
 */
public record CapabilityChain(List<HostCapability> standard, List<HostCapability> extended, List<String> problems) {

    public CapabilityChain {
        standard = List.copyOf(standard);
        extended = List.copyOf(extended);
        problems = List.copyOf(problems);
    }

    public Optional<HostCapability> find(int id) {
        return standard.stream().filter(c -> c.id() == id).findFirst();
    }

    public Optional<HostCapability> findExtended(int id) {
        return extended.stream().filter(c -> c.id() == id).findFirst();
    }
}
