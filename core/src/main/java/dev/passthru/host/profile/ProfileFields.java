package dev.passthru.host.profile;

import dev.passthru.InputError;
import dev.passthru.SyntaxError;
import dev.passthru.host.Sizes;
import dev.passthru.host.profile.JsonTree.Node;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The fields of one JSON object of a profile, read with errors that name the file, the line,
 * the column, the field and what was expected.
 */
final class ProfileFields {

    private final String file;
    private final Node object;
    private final Map<String, Node> fields;

    @SuppressWarnings("unchecked")
    ProfileFields(String file, Node object, Set<String> known) {
        this.file = file;
        this.object = object;
        if (!(object.value() instanceof Map<?, ?>)) {
            throw error(object, "an object");
        }
        this.fields = (Map<String, Node>) object.value();
        for (Map.Entry<String, Node> field : fields.entrySet()) {
            if (!known.contains(field.getKey())) {
                throw new InputError(String.format("%s:%d:%d: unknown field \"%s\" (expected one of %s)", file,
                        field.getValue().line(), field.getValue().column(), field.getValue().path(),
                        String.join(", ", known.stream().sorted().toList())));
            }
        }
    }

    InputError error(Node node, String expected) {
        return new InputError(String.format("%s:%d:%d: field \"%s\": expected %s, found %s", file, node.line(),
                node.column(), node.path().isEmpty() ? "(document)" : node.path(), expected, node.type()));
    }

    private Optional<Node> field(String name) {
        Node node = fields.get(name);
        return node == null || node.isNull() ? Optional.empty() : Optional.of(node);
    }

    private Node required(String name) {
        return field(name).orElseThrow(() -> new InputError(String.format(
                "%s:%d:%d: field \"%s\" is missing", file, object.line(), object.column(),
                object.path().isEmpty() ? name : object.path() + "." + name)));
    }

    String string(String name) {
        Node node = required(name);
        if (node.value() instanceof String s) {
            return s;
        }
        throw error(node, "a string");
    }

    Optional<String> optionalString(String name) {
        return field(name).map(node -> switch (node.value()) {
            case String s -> s;
            case Integer i -> Integer.toString(i);
            case null, default -> throw error(node, "a string");
        });
    }

    int integer(String name, int absent, int min, int max) {
        Optional<Node> node = field(name);
        if (node.isEmpty()) {
            return absent;
        }
        if (node.get().value() instanceof Integer i && i >= min && i <= max) {
            return i;
        }
        throw error(node.get(), "an integer from " + min + " to " + max);
    }

    OptionalInt optionalInteger(String name, int min, int max) {
        return field(name).isEmpty() ? OptionalInt.empty() : OptionalInt.of(integer(name, 0, min, max));
    }

    boolean bool(String name) {
        Optional<Node> node = field(name);
        if (node.isEmpty()) {
            return false;
        }
        if (node.get().value() instanceof Boolean b) {
            return b;
        }
        throw error(node.get(), "true or false");
    }

    /** A size as people write them: 4096, "4K", "0x1000". */
    long size(String name) {
        Node node = required(name);
        if (node.value() instanceof Number n && n.longValue() > 0 && !(n instanceof Double)) {
            return n.longValue();
        }
        if (node.value() instanceof String s) {
            try {
                return Sizes.parse(s);
            } catch (SyntaxError e) {
                throw error(node, "a size such as 4096, \"4K\" or \"0x1000\"");
            }
        }
        throw error(node, "a size such as 4096, \"4K\" or \"0x1000\"");
    }

    /** A 64-bit address as a hex string "0x...". */
    long address(String name) {
        Optional<Node> node = field(name);
        if (node.isEmpty()) {
            return 0;
        }
        if (node.get().value() instanceof String s && (s.startsWith("0x") || s.startsWith("0X")) && s.length() > 2) {
            try {
                return Long.parseUnsignedLong(s.substring(2), 16);
            } catch (NumberFormatException e) {
                throw error(node.get(), "a hex address \"0x...\" of at most 64 bits");
            }
        }
        throw error(node.get(), "a hex address \"0x...\"");
    }

    Node node(String name) {
        return required(name);
    }

    Optional<Node> optionalNode(String name) {
        return field(name);
    }

    @SuppressWarnings("unchecked")
    List<Node> array(String name) {
        Optional<Node> node = field(name);
        if (node.isEmpty()) {
            return List.of();
        }
        if (node.get().value() instanceof List<?> list) {
            return (List<Node>) list;
        }
        throw error(node.get(), "an array");
    }
}
