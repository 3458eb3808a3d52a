package dev.passthru.host.profile;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.passthru.InputError;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSON document read into nodes that remember their line and column, so that every error
 * in a hand-written file can say where it is: {@code FILE:LINE:COLUMN: what was expected}.
 */
final class JsonTree {

    private static final JsonFactory FACTORY = new JsonFactory();

    private JsonTree() {
    }

    /** A value in the document and where it starts. */
    record Node(@Nullable Object value, int line, int column, String path) {

        boolean isNull() {
            return value == null;
        }

        String type() {
            return switch (value) {
                case null -> "null";
                case String s -> "a string \"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
                case Map<?, ?> m -> "an object";
                case List<?> l -> "an array";
                case Boolean b -> "a boolean " + b;
                default -> "a number " + value;
            };
        }
    }

    static Node parse(String name, String text) {
        try (JsonParser parser = FACTORY.createParser(text)) {
            if (parser.nextToken() == null) {
                throw new InputError(name + ":1:1: expected a JSON object, found an empty file");
            }
            Node root = node(parser, "");
            if (parser.nextToken() != null) {
                JsonLocation at = parser.currentTokenLocation();
                throw new InputError(String.format("%s:%d:%d: expected the end of the document after its object",
                        name, at.getLineNr(), at.getColumnNr()));
            }
            return root;
        } catch (JsonParseException e) {
            JsonLocation at = e.getLocation();
            String message = e.getOriginalMessage().lines().findFirst().orElse("bad JSON");
            throw new InputError(String.format("%s:%d:%d: not valid JSON: %s", name,
                    at == null ? 0 : at.getLineNr(), at == null ? 0 : at.getColumnNr(), message));
        } catch (IOException e) {
            throw new InputError(name + ": cannot read (" + e.getMessage() + ")");
        }
    }

    private static Node node(JsonParser parser, String path) throws IOException {
        JsonLocation at = parser.currentTokenLocation();
        int line = at.getLineNr();
        int column = at.getColumnNr();
        JsonToken token = parser.currentToken();
        return switch (token) {
            case START_OBJECT -> {
                Map<String, Node> fields = new LinkedHashMap<>();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String field = parser.currentName();
                    parser.nextToken();
                    fields.put(field, node(parser, path.isEmpty() ? field : path + "." + field));
                }
                yield new Node(fields, line, column, path);
            }
            case START_ARRAY -> {
                List<Node> items = new ArrayList<>();
                int index = 0;
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    items.add(node(parser, path + "[" + index++ + "]"));
                }
                yield new Node(items, line, column, path);
            }
            case VALUE_STRING -> new Node(parser.getText(), line, column, path);
            case VALUE_NUMBER_INT -> new Node(parser.getNumberValue(), line, column, path);
            case VALUE_NUMBER_FLOAT -> new Node(parser.getDoubleValue(), line, column, path);
            case VALUE_TRUE, VALUE_FALSE -> new Node(parser.getBooleanValue(), line, column, path);
            case VALUE_NULL -> new Node(null, line, column, path);
            default -> throw new IOException("unexpected " + token);
        };
    }
}
