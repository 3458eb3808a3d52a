package dev.passthru.host;

import dev.passthru.InputError;
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

    /**
     * The function at {@code address}, or one line of {@link InputError} saying this source has
     * none, with the problem it had reading that address if there was one.
     */
    public HostFunction require(PciAddress address) {
        return find(address).orElseThrow(() -> new InputError("no function " + address + " in " + source
                + problems.stream().filter(p -> p.contains(address.toString())).findFirst().map(p -> " (" + p + ")").orElse("")));
    }
}
