package dev.passthru.host;

import dev.passthru.pci.PciAddress;

import java.util.List;
import java.util.Optional;

/**
 * What a source holds: the functions it could read, in address order, and one line for each
 * entry it could not (naming the file, the line and what was expected).
 */
public record Inventory(String source, List<HostFunction> functions, List<String> problems) {

    public Inventory {
        functions = List.copyOf(functions);
        problems = List.copyOf(problems);
    }

    public Optional<HostFunction> find(PciAddress address) {
        return functions.stream().filter(f -> f.address().equals(address)).findFirst();
    }
}
