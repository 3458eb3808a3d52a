package dev.passthru.control;

import org.jspecify.annotations.Nullable;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.passthru.InputError;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.SpecParser;

import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.zip.CRC32C;

/**
 * The journal's line format, both ways: {@code CRC32C-hex JSON}, the JSON an object whose
 * {@code op} names the kind ({@code create}, {@code destroy}, {@code attach}, {@code detach},
 * {@code assignable-add}, {@code assignable-remove}). The checksum tells a torn write from a
 * whole one; a whole line that is not a record of a known kind with all its fields is corrupt.
 */
final class JournalCodec {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A whole line whose contents are not a record; the reason in a few words. */
    static final class BadRecord extends Exception {
        BadRecord(String reason) {
            super(reason);
        }
    }

    private JournalCodec() {
    }

    /** The line for {@code record}, newline included. */
    static byte[] encode(JournalRecord record) {
        ObjectNode json = JSON.createObjectNode();
        switch (record) {
            case JournalRecord.Created c -> json.put("op", "create").put("config", c.config().toString())
                    .put("text", c.text()).put("domain", c.domain());
            case JournalRecord.Destroyed d -> json.put("op", "destroy").put("vm", d.vm());
            case JournalRecord.Attached a -> json.put("op", "attach").put("vm", a.vm()).put("spec", a.spec())
                    .put("slot", a.slot());
            case JournalRecord.Detached d -> json.put("op", "detach").put("vm", d.vm()).put("bdf", d.bdf().toString());
            case JournalRecord.AssignableAdded a -> json.put("op", "assignable-add").put("bdf", a.bdf().toString());
            case JournalRecord.AssignableRemoved a -> json.put("op", "assignable-remove").put("bdf", a.bdf().toString());
        }
        String text = json.toString();
        return (checksum(text) + " " + text + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** The JSON of a line (without its newline) whose checksum matches, or null for a line that does not. */
    static @Nullable String verified(String line) {
        if (line.length() < 9 || line.charAt(8) != ' ') {
            return null;
        }
        String json = line.substring(9);
        return checksum(json).equals(line.substring(0, 8)) ? json : null;
    }

    /** The record a verified line's JSON holds. */
    static JournalRecord decode(String json) throws BadRecord {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new BadRecord("not JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new BadRecord("not a JSON object");
        }
        String op = text(node, "op");
        return switch (op) {
            case "create" -> new JournalRecord.Created(path(text(node, "config")), text(node, "text"), number(node, "domain"));
            case "destroy" -> new JournalRecord.Destroyed(text(node, "vm"));
            case "attach" -> new JournalRecord.Attached(text(node, "vm"), spec(text(node, "spec")),
                    node.has("slot") ? number(node, "slot") : 0);
            case "detach" -> new JournalRecord.Detached(text(node, "vm"), address(text(node, "bdf")));
            case "assignable-add" -> new JournalRecord.AssignableAdded(address(text(node, "bdf")));
            case "assignable-remove" -> new JournalRecord.AssignableRemoved(address(text(node, "bdf")));
            default -> throw new BadRecord("unknown kind '" + op + "'");
        };
    }

    private static String checksum(String json) {
        CRC32C crc = new CRC32C();
        crc.update(json.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().toHexDigits((int) crc.getValue());
    }

    private static String text(JsonNode node, String field) throws BadRecord {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new BadRecord("\"" + field + "\" is not a string");
        }
        return value.asText();
    }

    private static int number(JsonNode node, String field) throws BadRecord {
        JsonNode value = node.get(field);
        if (value == null || !value.canConvertToInt() || !value.isIntegralNumber()) {
            throw new BadRecord("\"" + field + "\" is not a whole number");
        }
        return value.asInt();
    }

    private static Path path(String text) throws BadRecord {
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            throw new BadRecord("\"config\" is not a path");
        }
    }

    private static String spec(String text) throws BadRecord {
        try {
            SpecParser.parseXl(text);
            return text;
        } catch (InputError e) {
            throw new BadRecord("\"spec\" is not a PCI spec: " + e.getMessage());
        }
    }

    private static PciAddress address(String text) throws BadRecord {
        try {
            return PciAddress.parse(text);
        } catch (InputError e) {
            throw new BadRecord("\"bdf\" is not a function: " + e.getMessage());
        }
    }
}
