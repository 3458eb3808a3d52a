package dev.passthru.host.profile;

import dev.passthru.InputError;
import dev.passthru.SyntaxError;
import dev.passthru.host.BarKind;
import dev.passthru.host.BarLayout;
import dev.passthru.host.HostBar;
import dev.passthru.host.HostBinding;
import dev.passthru.host.HostFunction;
import dev.passthru.host.Origin;
import dev.passthru.host.profile.JsonTree.Node;
import dev.passthru.host.recorded.RecordedFunctions;
import dev.passthru.pci.PciAddress;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Reads a passthru profile: a recorded host function as JSON (see {@link ProfileWriter} for the
 * fields). Every error is one line naming the file, the line, the field and what was expected.
 */
public final class ProfileReader {

    static final String FORMAT = "passthru-profile/1";
    private static final Set<String> DOCUMENT_FIELDS = Set.of("format", "address", "description", "config",
            "bars", "rom", "irq", "iommuGroup", "driver", "numaNode");
    private static final Set<String> BAR_FIELDS = Set.of("index", "kind", "prefetchable", "address", "size");
    private static final Set<String> ROM_FIELDS = Set.of("address", "size");

    private ProfileReader() {
    }

    /** Reads a profile; its "description" is for people and is not needed. */
    public static HostFunction read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (MalformedInputException e) {
            throw new InputError(file + ": not a text file (expected a passthru profile in JSON)");
        } catch (IOException e) {
            throw new InputError(file + ": cannot read (" + e.getMessage() + ")");
        }
        return parse(file.toString(), text);
    }

    public static HostFunction parse(String name, String text) {
        ProfileFields doc = new ProfileFields(name, JsonTree.parse(name, text), DOCUMENT_FIELDS);
        String format = doc.string("format");
        if (!format.equals(FORMAT)) {
            throw doc.error(doc.node("format"), "\"" + FORMAT + "\"");
        }
        PciAddress address;
        try {
            address = PciAddress.parse(doc.string("address"));
        } catch (SyntaxError e) {
            throw doc.error(doc.node("address"), "a PCI address DDDD:BB:DD.F");
        }
        byte[] config = config(doc);
        List<HostBar> bars = new ArrayList<>();
        for (Node node : doc.array("bars")) {
            ProfileFields bar = new ProfileFields(name, node, BAR_FIELDS);
            int index = bar.integer("index", -1, 0, 5);
            if (index < 0) {
                throw bar.error(node, "an object with an \"index\" 0-5");
            }
            BarKind kind = switch (bar.string("kind")) {
                case "io" -> BarKind.IO;
                case "mem32" -> BarKind.MEM32;
                case "mem64" -> BarKind.MEM64;
                default -> throw bar.error(bar.node("kind"), "\"io\", \"mem32\" or \"mem64\"");
            };
            bars.add(new HostBar(index, kind, bar.bool("prefetchable"), bar.size("size"), bar.address("address")));
        }
        long romSize = 0;
        long romAddress = 0;
        if (doc.optionalNode("rom").isPresent()) {
            ProfileFields rom = new ProfileFields(name, doc.node("rom"), ROM_FIELDS);
            romSize = rom.size("size");
            romAddress = rom.address("address");
        }
        BarLayout layout;
        try {
            layout = new BarLayout(bars, romSize, romAddress);
        } catch (InputError e) {
            throw new InputError(name + ": " + e.getMessage());
        }
        HostBinding binding = new HostBinding(doc.optionalString("driver"), doc.optionalString("iommuGroup"),
                doc.optionalInteger("irq", 0, 0xffff), doc.optionalInteger("numaNode", -1, 0xffff));
        try {
            doc.optionalString("description");
            return RecordedFunctions.of(address, Origin.PROFILE, name, config, layout, List.of(), binding);
        } catch (InputError e) {
            throw doc.error(doc.node("config"), "hex bytes of at least the 64-byte header");
        }
    }

    private static byte[] config(ProfileFields doc) {
        Node node = doc.node("config");
        String hex = doc.string("config");
        if (hex.length() % 2 != 0 || hex.length() > 2 * 4096 || hex.length() < 2 * 64) {
            throw doc.error(node, "64 to 4096 bytes of config space as hex digits");
        }
        try {
            return HexFormat.of().parseHex(hex);
        } catch (IllegalArgumentException e) {
            throw doc.error(node, "hex digits 0-9 a-f");
        }
    }
}
