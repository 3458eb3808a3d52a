package dev.passthru.dump;

import dev.passthru.InputError;
import dev.passthru.SyntaxError;
import dev.passthru.host.Sizes;
import dev.passthru.pci.PciAddress;
import org.jspecify.annotations.Nullable;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.passthru.pci.PciRegs.PCI_INTERRUPT_LINE;

/**
 * Reads dumps in the form {@code lspci -x}, {@code -xxx} and {@code -xxxx} write: a title line
 * {@code [DDDD:]BB:DD.F description} per function, then {@code OFF: hh hh ...} rows of 16 bytes,
 * optionally with lspci's {@code -v} lines (indented), from which BAR and ROM sizes are taken.
 * Every error names the file, the line and what was expected.
 */
public final class LspciDumpReader {

    private static final Pattern TITLE = Pattern.compile(
            "^((?:[0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7])(?:\\s+(.*))?$");
    private static final Pattern ROW = Pattern.compile("^([0-9a-fA-F]{2,3}):((?: [0-9a-fA-F]{2})*)\\s*$");
    private static final Pattern REGION_SIZE = Pattern.compile("^\\s+Region (\\d+): .*\\[size=([0-9]+[KMGTPE]?)\\]");
    private static final Pattern ROM_SIZE = Pattern.compile("^\\s+Expansion ROM at .*\\[size=([0-9]+[KMGTPE]?)\\]");
    private static final Pattern DRIVER = Pattern.compile("^\\s+Kernel driver in use: (\\S+)");
    private static final Pattern IRQ = Pattern.compile("^\\s+Interrupt: pin [A-D] routed to IRQ (\\d+)");

    private LspciDumpReader() {
    }

    /** What a dump holds: the functions that read cleanly, and one line for each that did not. */
    public record Contents(List<DumpedFunction> functions, List<String> problems) {
    }

    /** Every function of the dump, or an {@link InputError} for the first problem in it. */
    public static List<DumpedFunction> read(Path file) {
        return strict(scan(file));
    }

    /** As {@link #read}, from lines already read; {@code name} is for messages. */
    public static List<DumpedFunction> parse(String name, List<String> lines) {
        return strict(scan(name, lines));
    }

    /**
     * The functions that read cleanly and a problem line for each that did not (a bad row,
     * a duplicate address); an unreadable file, or one with no function at all, is an error.
     */
    public static Contents scan(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (MalformedInputException e) {
            throw new InputError(file + ": not a text file (expected lspci -x output in UTF-8)");
        } catch (IOException e) {
            throw new InputError(file + ": cannot read: " + e.getMessage());
        }
        return scan(file.toString(), lines);
    }

    public static Contents scan(String name, List<String> lines) {
        List<DumpedFunction> functions = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Set<PciAddress> seen = new HashSet<>();
        @Nullable Current current = null;
        boolean skipping = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String where = name + ":" + (i + 1);
            if (line.isBlank()) {
                continue;
            }
            Matcher title = TITLE.matcher(line);
            try {
                if (!Character.isWhitespace(line.charAt(0)) && !ROW.matcher(line).matches() && title.matches()) {
                    finish(current, functions, problems);
                    current = null;
                    skipping = false;
                    PciAddress address = address(title.group(1), where);
                    if (!seen.add(address)) {
                        throw new InputError(where + ": function " + address + " appears twice in the dump; "
                                + "this one is left out");
                    }
                    current = new Current(address, title.group(2) == null ? "" : title.group(2), where);
                } else if (!skipping) {
                    line(current, line, where);
                }
            } catch (InputError e) {
                problems.add(e.getMessage());
                current = null;
                skipping = true;
            }
        }
        finish(current, functions, problems);
        if (functions.isEmpty() && problems.isEmpty()) {
            throw new InputError(name + ": no function in the dump (expected lspci -x, -xxx or -xxxx output)");
        }
        return new Contents(functions, problems);
    }

    /** A row or a decoded line of the current function. */
    private static void line(@Nullable Current current, String line, String where) {
        Matcher row = ROW.matcher(line);
        if (Character.isWhitespace(line.charAt(0))) {
            if (current != null) {
                current.decoded(line, where);
            }
        } else if (row.matches()) {
            if (current == null) {
                throw new InputError(where + ": config row before any function's title line");
            }
            current.row(row, where);
        } else {
            throw new InputError(where + ": expected a title line 'BB:DD.F description' or a row "
                    + "'OFF: hh hh ...' of 16 hex bytes, found '" + abbreviate(line) + "'");
        }
    }

    private static void finish(@Nullable Current current, List<DumpedFunction> functions, List<String> problems) {
        if (current == null) {
            return;
        }
        try {
            functions.add(current.finish());
        } catch (InputError e) {
            problems.add(e.getMessage());
        }
    }

    private static List<DumpedFunction> strict(Contents contents) {
        if (!contents.problems().isEmpty()) {
            throw new InputError(contents.problems().getFirst());
        }
        return contents.functions();
    }

    private static PciAddress address(String text, String where) {
        try {
            return PciAddress.parse(text);
        } catch (SyntaxError e) {
            throw new InputError(where + ": " + e.getMessage());
        }
    }

    private static String abbreviate(String line) {
        return line.length() > 40 ? line.substring(0, 40) + "..." : line;
    }

    /** The function whose rows are being read. */
    private static final class Current {
        private final PciAddress address;
        private final String description;
        private final String source;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final Map<Integer, Long> sizes = new HashMap<>();
        private long romSize;
        private @Nullable String driver;
        private int irq = -1;

        Current(PciAddress address, String description, String source) {
            this.address = address;
            this.description = description;
            this.source = source;
        }

        void row(Matcher row, String where) {
            int offset = Integer.parseInt(row.group(1), 16);
            if (offset != bytes.size()) {
                throw new InputError(String.format("%s: expected the row at offset %02x, found %s:",
                        where, bytes.size(), row.group(1)));
            }
            String[] hex = row.group(2).trim().split(" ", -1);
            if (hex.length != 16) {
                throw new InputError(where + ": expected 16 hex bytes in the row, found " + (hex[0].isEmpty() ? 0 : hex.length));
            }
            if (offset >= 4096) {
                throw new InputError(where + ": row past 4096 bytes of config space");
            }
            for (String b : hex) {
                bytes.write(Integer.parseInt(b, 16));
            }
        }

        void decoded(String line, String where) {
            Matcher region = REGION_SIZE.matcher(line);
            if (region.find()) {
                int index = Integer.parseInt(region.group(1));
                sizes.put(index, size(region.group(2), where));
                return;
            }
            Matcher rom = ROM_SIZE.matcher(line);
            if (rom.find()) {
                romSize = size(rom.group(1), where);
            }
            Matcher driverLine = DRIVER.matcher(line);
            if (driverLine.find()) {
                driver = driverLine.group(1);
            }
            Matcher irqLine = IRQ.matcher(line);
            if (irqLine.find()) {
                irq = Integer.parseInt(irqLine.group(1));
            }
        }

        private long size(String text, String where) {
            try {
                return Sizes.parse(text);
            } catch (SyntaxError e) {
                throw new InputError(where + ": bad size: " + e.getMessage());
            }
        }

        DumpedFunction finish() {
            if (bytes.size() == 0) {
                throw new InputError(source + ": function " + address + " has no config rows");
            }
            byte[] config = bytes.toByteArray();
            int line = irq >= 0 || config.length <= PCI_INTERRUPT_LINE ? Math.max(irq, 0) : config[PCI_INTERRUPT_LINE] & 0xff;
            return new DumpedFunction(address, description, config, sizes, romSize, Optional.ofNullable(driver), line,
                    source);
        }
    }
}
