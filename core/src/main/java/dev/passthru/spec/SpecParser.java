package dev.passthru.spec;

import dev.passthru.SyntaxError;
import dev.passthru.TextCursor;
import dev.passthru.pci.PciAddress;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Parses assignment requests in xl's PCI_SPEC_STRING form and in the seed device model's list
 * form. Every error is a {@link SyntaxError} naming the input, the column and what was expected.
 */
public final class SpecParser {

    private static final String KEYS = "bdf, vslot, permissive, msitranslate, seize, power_mgmt or rdm_policy";

    private SpecParser() {
    }

    /** Parses one text in the given syntax; a device-model list may hold several specs. */
    public static List<AssignmentSpec> parse(String text, SpecSyntax syntax) {
        return switch (syntax) {
            case XL -> List.of(parseXl(text));
            case DEVICE_MODEL -> parseDeviceModelList(text);
            case AUTO -> looksLikeXl(text) || !text.contains("-")
                    ? List.of(parseXl(text))
                    : parseDeviceModelList(text);
        };
    }

    private static boolean looksLikeXl(String text) {
        return text.indexOf(',') >= 0 || text.indexOf('=') >= 0 || text.indexOf('*') >= 0;
    }

    /**
     * Parses {@code [DDDD:]BB:DD.F[@VSLOT][,KEY=VALUE...]}. As in xl 4.17, {@code bdf=} and
     * {@code vslot=} may name the positional parameters, a second positional parameter is the
     * virtual slot, each parameter may be given once, and an empty value means the default.
     */
    public static AssignmentSpec parseXl(String text) {
        XlSpecBuilder spec = new XlSpecBuilder(text);
        TextCursor cursor = new TextCursor(text);
        int positional = 0;
        if (cursor.atEnd()) {
            throw cursor.error("a PCI function such as 03:00.0");
        }
        while (!cursor.atEnd()) {
            int start = cursor.position();
            String token = cursor.until(",");
            if (token.isEmpty()) {
                throw cursor.error(positional == 0 ? "a PCI function such as 03:00.0" : "an option KEY=VALUE");
            }
            int eq = token.indexOf('=');
            if (eq >= 0) {
                spec.option(token.substring(0, eq), token.substring(eq + 1), start, start + eq + 1);
            } else if (positional == 0) {
                spec.bdf(token, start, true);
                positional++;
            } else if (positional == 1) {
                spec.vslot(token, start, start);
                positional++;
            } else {
                throw cursor.errorAt(start, "an option KEY=VALUE (" + KEYS + ")");
            }
            if (cursor.accept(',') && cursor.atEnd()) {
                break;
            }
        }
        return spec.build();
    }

    /**
     * Parses the seed's {@code seg:bus:dev.func[@slot]} entries joined by {@code -}. The segment
     * is required, as the seed read four numbers per entry; values are hex.
     */
    public static List<AssignmentSpec> parseDeviceModelList(String text) {
        TextCursor cursor = new TextCursor(text);
        List<AssignmentSpec> specs = new ArrayList<>();
        do {
            int segment = cursor.hex(4, PciAddress.MAX_DOMAIN, "a hex segment 0000-ffff");
            cursor.expect(':', "':' after the segment (entries are seg:bus:dev.func)");
            int bus = cursor.hex(2, PciAddress.MAX_BUS, "a hex bus 00-ff");
            cursor.expect(':', "':' after the bus");
            int device = cursor.hex(2, PciAddress.MAX_DEVICE, "a hex device 00-1f");
            cursor.expect('.', "'.' before the function number");
            int function = cursor.hex(1, PciAddress.MAX_FUNCTION, "a function number 0-7");
            int slot = AssignmentSpec.AUTO_SLOT;
            if (cursor.accept('@')) {
                slot = cursor.hex(2, PciAddress.MAX_DEVICE, "a hex virtual slot 00-1f");
            }
            if (!cursor.atEnd() && cursor.peek() != '-') {
                throw cursor.error("'-' before the next entry, or the end");
            }
            specs.add(new AssignmentSpec(new PciAddress(segment, bus, device, function), false, slot,
                    SpecOptions.NONE));
        } while (cursor.accept('-'));
        return specs;
    }

    /** Collects the parameters of one xl spec, refusing repeats. */
    private static final class XlSpecBuilder {
        private final String text;
        private PciAddress.@Nullable Selection selection;
        private int vslot = AssignmentSpec.AUTO_SLOT;
        private boolean vslotGiven;
        private final Map<String, Boolean> flags = new HashMap<>();
        private @Nullable RdmPolicy rdmPolicy;
        private final List<String> seen = new ArrayList<>();

        XlSpecBuilder(String text) {
            this.text = text;
        }

        void bdf(String token, int start, boolean slotAllowed) {
            once("bdf", start);
            TextCursor cursor = sub(start, token);
            selection = PciAddress.readSelection(cursor, true);
            if (slotAllowed && cursor.accept('@')) {
                int slotStart = cursor.position();
                vslot(cursor.until(","), slotStart, slotStart);
            } else {
                cursor.expectEnd(slotAllowed ? "'@VSLOT', ',' or the end" : "',' or the end");
            }
        }

        void vslot(String token, int start, int keyStart) {
            once("vslot", keyStart);
            vslotGiven = true;
            if (token.isEmpty()) {
                return;
            }
            TextCursor cursor = sub(start, token);
            int value = cursor.hex(2, PciAddress.MAX_DEVICE, "a hex virtual slot 00-1f");
            cursor.expectEnd("',' or the end after the virtual slot");
            vslot = value;
        }

        void option(String rawKey, String value, int keyStart, int valueStart) {
            String key = rawKey.toLowerCase(Locale.ROOT);
            switch (key) {
                case "bdf" -> {
                    if (value.isEmpty()) {
                        throw new SyntaxError(text, valueStart + 1, "a PCI function such as 03:00.0");
                    }
                    bdf(value, valueStart, false);
                }
                case "vslot" -> vslot(value, valueStart, keyStart);
                case "permissive", "msitranslate", "seize", "power_mgmt" -> {
                    once(key, keyStart);
                    flags.put(key, bool(value, valueStart));
                }
                case "rdm_policy" -> {
                    once(key, keyStart);
                    rdmPolicy = switch (value.toLowerCase(Locale.ROOT)) {
                        case "" -> null;
                        case "strict" -> RdmPolicy.STRICT;
                        case "relaxed" -> RdmPolicy.RELAXED;
                        default -> throw new SyntaxError(text, valueStart + 1, "rdm_policy 'strict' or 'relaxed'");
                    };
                }
                default -> throw new SyntaxError(text, keyStart + 1, "a known option (" + KEYS + ")");
            }
        }

        private @Nullable Boolean bool(String value, int valueStart) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "" -> null;
                case "1", "yes", "true", "on" -> Boolean.TRUE;
                case "0", "no", "false", "off" -> Boolean.FALSE;
                default -> throw new SyntaxError(text, valueStart + 1, "a boolean 0 or 1");
            };
        }

        private void once(String key, int start) {
            if (seen.contains(key)) {
                throw new SyntaxError(text, start + 1, "each parameter once, but " + key + " is given again");
            }
            seen.add(key);
        }

        /** A cursor over a token whose errors still report columns of the whole text. */
        private TextCursor sub(int start, String token) {
            return new TextCursor(text).slice(start, start + token.length());
        }

        AssignmentSpec build() {
            if (selection == null) {
                throw new SyntaxError(text, 1, "a PCI function such as 03:00.0 (or bdf=...)");
            }
            return new AssignmentSpec(selection.address(), selection.allFunctions(), vslotGiven ? vslot : 0,
                    new SpecOptions(flags.get("permissive"), flags.get("msitranslate"), flags.get("seize"),
                            flags.get("power_mgmt"), rdmPolicy));
        }
    }
}
