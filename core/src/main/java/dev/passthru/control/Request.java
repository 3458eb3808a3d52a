package dev.passthru.control;

import org.jspecify.annotations.Nullable;
import com.fasterxml.jackson.databind.JsonNode;
import dev.passthru.SyntaxError;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.AssignmentSpec;
import dev.passthru.spec.SpecParser;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * One request to the daemon, as a value: {@link #parse} reads the JSON wire form
 * ({@code {"command": "pci-attach", "vm": "web", "spec": "03:00.0@6"}}) and checks every field
 * in this one place, so that a bad field gets one line that names it and nothing past here
 * sees a string where a value belongs.
 */
public sealed interface Request {

    /** The VM the request is about, or null for one about the daemon as a whole. */
    default @Nullable String vm() {
        return null;
    }

    /** Whether carrying it out changes what the daemon holds (and so writes the journal). */
    default boolean changes() {
        return true;
    }

    /** {@code create}: a VM from the config file at {@code config} (absolute, normalised). */
    record Create(Path config) implements Request {
    }

    record Destroy(String vm) implements Request {
    }

    record ListVms() implements Request {
        @Override
        public boolean changes() {
            return false;
        }
    }

    /** {@code pci-attach}: {@code text} is the spec as the user wrote it, kept for the journal. */
    record PciAttach(String vm, AssignmentSpec spec, String text) implements Request {
    }

    record PciDetach(String vm, PciAddress bdf) implements Request {
    }

    record PciList(String vm) implements Request {
        @Override
        public boolean changes() {
            return false;
        }
    }

    record AssignableList() implements Request {
        @Override
        public boolean changes() {
            return false;
        }
    }

    record AssignableAdd(PciAddress bdf) implements Request {
    }

    record AssignableRemove(PciAddress bdf) implements Request {
    }

    record Show(String vm) implements Request {
        @Override
        public boolean changes() {
            return false;
        }
    }

    /**
     * The request a wire object asks for; fields it does not use are ignored.
     *
     * @throws ControlError naming the missing or bad field, or the unknown command
     */
    static Request parse(JsonNode wire) {
        String command = text(wire, "command");
        return switch (command) {
            case "create" -> new Create(path(text(wire, "config")));
            case "destroy" -> new Destroy(text(wire, "vm"));
            case "list" -> new ListVms();
            case "pci-attach" -> new PciAttach(text(wire, "vm"), spec(text(wire, "spec")), text(wire, "spec"));
            case "pci-detach" -> new PciDetach(text(wire, "vm"), address(text(wire, "bdf")));
            case "pci-list" -> new PciList(text(wire, "vm"));
            case "pci-assignable-list" -> new AssignableList();
            case "pci-assignable-add" -> new AssignableAdd(address(text(wire, "bdf")));
            case "pci-assignable-remove" -> new AssignableRemove(address(text(wire, "bdf")));
            case "show" -> new Show(text(wire, "vm"));
            default -> throw new ControlError("unknown-command", "unknown command '" + command + "' (expected create, "
                    + "destroy, list, pci-attach, pci-detach, pci-list, pci-assignable-list, pci-assignable-add, "
                    + "pci-assignable-remove or show)");
        };
    }

    private static String text(JsonNode wire, String field) {
        JsonNode value = wire.get(field);
        if (value == null || !value.isTextual()) {
            throw new ControlError("bad-request", "the request needs \"" + field + "\" as a string");
        }
        return value.asText();
    }

    private static Path path(String text) {
        try {
            return Path.of(text).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new ControlError("bad-request", "\"config\" is not a path: " + e.getMessage());
        }
    }

    private static AssignmentSpec spec(String text) {
        try {
            return SpecParser.parseXl(text);
        } catch (SyntaxError e) {
            throw new ControlError("bad-spec", "bad PCI spec " + e.getMessage());
        }
    }

    private static PciAddress address(String bdf) {
        try {
            return PciAddress.parse(bdf);
        } catch (SyntaxError e) {
            throw new ControlError("bad-bdf", "bad function " + e.getMessage());
        }
    }
}
