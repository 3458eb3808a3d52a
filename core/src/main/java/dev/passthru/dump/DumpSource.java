package dev.passthru.dump;

import dev.passthru.InputError;
import dev.passthru.host.HostBinding;
import dev.passthru.host.HostFunction;
import dev.passthru.host.HostSource;
import dev.passthru.host.Inventory;
import dev.passthru.host.Origin;
import dev.passthru.host.recorded.RecordedFunctions;
import org.jspecify.annotations.Nullable;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Functions recorded in an lspci dump, standing in for hardware. BAR sizes come from the
 * dump's {@code -v} lines where it has them; the driver from its {@code Kernel driver in use}
 * line. A dump says nothing of IOMMU groups: each function counts as alone in its own.
 */
public final class DumpSource implements HostSource {

    private final Path file;
    private final Map<Integer, Long> sizes;
    private final @Nullable Long romSize;

    public DumpSource(Path file) {
        this(file, Map.of(), null);
    }

    /** A dump whose functions take these BAR sizes (by index) and ROM size where it lacks them. */
    public DumpSource(Path file, Map<Integer, Long> sizes, @Nullable Long romSize) {
        this.file = file;
        this.sizes = Map.copyOf(sizes);
        this.romSize = romSize;
    }

    @Override
    public Inventory scan(Detail detail) {
        LspciDumpReader.Contents contents = LspciDumpReader.scan(file);
        List<HostFunction> functions = new ArrayList<>();
        List<String> problems = new ArrayList<>(contents.problems());
        for (DumpedFunction dumped : contents.functions()) {
            try {
                functions.add(function(dumped, sizes, romSize));
            } catch (InputError e) {
                problems.add(e.getMessage());
            }
        }
        functions.sort(Comparator.comparing(HostFunction::address));
        return new Inventory("dump " + file, functions, problems);
    }

    /**
     * One dumped function as a host function, with BAR sizes from {@code sizes} (by index) and
     * {@code romSize} where the dump lacks them.
     */
    public static HostFunction function(DumpedFunction dumped, Map<Integer, Long> sizes, @Nullable Long romSize) {
        DumpBars.Bars bars = DumpBars.partition(dumped, sizes, romSize);
        HostBinding binding = new HostBinding(dumped.driver(), Optional.empty(), OptionalInt.of(dumped.irq()), OptionalInt.empty());
        try {
            return RecordedFunctions.of(dumped.address(), Origin.DUMP, dumped.source(), dumped.config(),
                    bars.layout(), bars.unsized(), binding);
        } catch (InputError e) {
            throw new InputError(dumped.source() + ": " + dumped.address() + ": " + e.getMessage());
        }
    }
}
