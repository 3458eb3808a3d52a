package dev.passthru.pci;

import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Names of vendors, devices and classes from the PCI ID database ({@code pci.ids}, the file lspci
 * reads). Names are looked up on demand in the file's text rather than parsed whole, since a
 * listing needs a few of its 40,000 lines; without the file every name is absent and callers
 * print numbers, as lspci does.
 */
public final class PciIds {

    /** Where Debian's pciutils and hwdata put the database. */
    public static final List<Path> LOCATIONS = List.of(Path.of("/usr/share/misc/pci.ids"),
            Path.of("/usr/share/hwdata/pci.ids"), Path.of("/usr/share/pci.ids"));

    private static @Nullable PciIds system;

    private final String text;
    private final Map<String, Optional<String>> cache = new HashMap<>();

    private PciIds(String text) {
        this.text = text;
    }

    /** The database of this machine, read once; an empty one where there is none. */
    public static synchronized PciIds system() {
        if (system == null) {
            system = new PciIds(LOCATIONS.stream().filter(Files::isReadable).findFirst().map(PciIds::read).orElse(""));
        }
        return system;
    }

    public static PciIds of(String text) {
        return new PciIds(text);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    public synchronized Optional<String> vendor(int vendor) {
        return cache.computeIfAbsent("v" + vendor, k -> {
            int line = topLevel(String.format("%04x", vendor));
            return line < 0 ? Optional.empty() : Optional.of(nameAt(line));
        });
    }

    public synchronized Optional<String> device(int vendor, int device) {
        return cache.computeIfAbsent("d" + vendor + ":" + device, k -> {
            int line = topLevel(String.format("%04x", vendor));
            return line < 0 ? Optional.empty() : child(line, String.format("%04x", device));
        });
    }

    /** The name of subsystem {@code subVendor:subDevice} as listed under device {@code vendor:device}. */
    public synchronized Optional<String> subsystem(int vendor, int device, int subVendor, int subDevice) {
        return cache.computeIfAbsent("s" + vendor + ":" + device + ":" + subVendor + ":" + subDevice, k -> {
            int vendorLine = topLevel(String.format("%04x", vendor));
            if (vendorLine < 0) {
                return Optional.empty();
            }
            int deviceLine = childLine(vendorLine, "\t" + String.format("%04x", device) + "  ");
            return deviceLine < 0 ? Optional.empty()
                    : child(deviceLine, "\t" + String.format("%04x %04x", subVendor, subDevice));
        });
    }

    /**
     * The class name as lspci prints it: the subclass's name where the database has one, else
     * the base class's.
     */
    public synchronized Optional<String> deviceClass(int deviceClass) {
        return cache.computeIfAbsent("c" + deviceClass, k -> {
            int line = topLevel(String.format("C %02x", deviceClass >>> 8));
            if (line < 0) {
                return Optional.empty();
            }
            return child(line, String.format("%02x", deviceClass & 0xff)).or(() -> Optional.of(nameAt(line)));
        });
    }

    /** The start of the line {@code key  name} at the top level, or -1. */
    private int topLevel(String key) {
        String needle = "\n" + key + "  ";
        int at = text.startsWith(key + "  ") ? 0 : text.indexOf(needle);
        return at < 0 ? -1 : at == 0 ? 0 : at + 1;
    }

    /** The name on the line that starts at {@code line}, after its key and two spaces. */
    private String nameAt(int line) {
        int start = text.indexOf("  ", line) + 2;
        int end = text.indexOf('\n', start);
        return text.substring(start, end < 0 ? text.length() : end).strip();
    }

    /** The name of the entry {@code \tkey} among the indented lines that follow {@code parent}. */
    private Optional<String> child(int parent, String key) {
        int line = childLine(parent, "\t" + key + "  ");
        return line < 0 ? Optional.empty() : Optional.of(nameAt(line));
    }

    /**
     * The start of the first indented line after {@code parent} that begins with {@code prefix},
     * or -1; comment lines among the indented ones are passed over.
     */
    private int childLine(int parent, String prefix) {
        int at = text.indexOf('\n', parent);
        while (at >= 0 && at + 1 < text.length() && (text.charAt(at + 1) == '\t' || text.charAt(at + 1) == '#')) {
            int line = at + 1;
            if (text.startsWith(prefix, line)) {
                return line;
            }
            at = text.indexOf('\n', line);
        }
        return -1;
    }
}
