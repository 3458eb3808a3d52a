package dev.passthru.vm;

import dev.passthru.InputError;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The syntax of xl.cfg (xl.cfg(5)): {@code KEY = VALUE} settings, one a line or separated by
 * {@code ;}, where a value is a "string" or 'string', a number (decimal or 0x hex), or a
 * [ list, of, values ] that may run over several lines; {@code #} starts a comment. A setting
 * given twice keeps the last, as xl does. Errors name the file and line.
 */
final class CfgParser {

    private final String name;
    private final String text;
    private int at;
    private int line = 1;

    private CfgParser(String name, String text) {
        this.name = name;
        this.text = text;
    }

    /** The settings in file order; each value knows its line. */
    static Map<String, CfgValue> parse(String name, String text) {
        return new CfgParser(name, text).settings();
    }

    private Map<String, CfgValue> settings() {
        Map<String, CfgValue> settings = new LinkedHashMap<>();
        while (true) {
            skipBlank(true);
            if (at >= text.length()) {
                return settings;
            }
            String key = identifier();
            skipBlank(false);
            expect('=', "'=' after " + key);
            skipBlank(false);
            CfgValue value = value();
            skipBlank(false);
            if (at < text.length() && text.charAt(at) != '\n' && text.charAt(at) != ';') {
                throw error("the end of the line after " + key + "'s value");
            }
            if (at < text.length() && text.charAt(at) == ';') {
                at++;
            }
            settings.remove(key);
            settings.put(key, value);
        }
    }

    private String identifier() {
        int start = at;
        while (at < text.length() && (Character.isLetterOrDigit(text.charAt(at)) || text.charAt(at) == '_')) {
            at++;
        }
        if (at == start || Character.isDigit(text.charAt(start))) {
            at = start;
            throw error("a setting name (letters, digits, _)");
        }
        return text.substring(start, at);
    }

    private CfgValue value() {
        if (at >= text.length()) {
            throw error("a value");
        }
        char c = text.charAt(at);
        int valueLine = line;
        if (c == '"' || c == '\'') {
            int end = text.indexOf(c, at + 1);
            int newline = text.indexOf('\n', at + 1);
            if (end < 0 || newline >= 0 && newline < end) {
                throw error("a closing " + c + " on the same line");
            }
            String value = text.substring(at + 1, end);
            at = end + 1;
            return new CfgValue.Text(value, valueLine);
        }
        if (c == '[') {
            at++;
            List<CfgValue> values = new ArrayList<>();
            while (true) {
                skipBlank(true);
                if (at < text.length() && text.charAt(at) == ']') {
                    at++;
                    return new CfgValue.Items(values, valueLine);
                }
                values.add(value());
                skipBlank(true);
                if (at < text.length() && text.charAt(at) == ',') {
                    at++;
                } else if (at >= text.length() || text.charAt(at) != ']') {
                    throw error("',' or ']' in the list");
                }
            }
        }
        if (Character.isDigit(c) || c == '-') {
            int start = at;
            at++;
            while (at < text.length() && Character.isLetterOrDigit(text.charAt(at))) {
                at++;
            }
            String number = text.substring(start, at);
            try {
                return new CfgValue.Number(Long.decode(number), valueLine);
            } catch (NumberFormatException e) {
                at = start;
                throw error("a number (decimal, or hex as 0x...)");
            }
        }
        throw error("a value: \"string\", number or [ list ]");
    }

    /** Skips spaces and comments, and line ends too where {@code lines}. */
    private void skipBlank(boolean lines) {
        while (at < text.length()) {
            char c = text.charAt(at);
            if (c == '#') {
                while (at < text.length() && text.charAt(at) != '\n') {
                    at++;
                }
            } else if (c == '\n' && lines) {
                line++;
                at++;
            } else if (c == ' ' || c == '\t' || c == '\r' || (c == ';' && lines)) {
                at++;
            } else {
                return;
            }
        }
    }

    private void expect(char c, String what) {
        if (at >= text.length() || text.charAt(at) != c) {
            throw error(what);
        }
        at++;
    }

    private InputError error(String expected) {
        int end = text.indexOf('\n', at);
        String rest = text.substring(at, end < 0 ? text.length() : end).strip();
        return new InputError(name + ":" + line + ": expected " + expected + ", found "
                + (rest.isEmpty() ? "the end of the " + (at >= text.length() ? "file" : "line") : "'" + rest + "'"));
    }
}
