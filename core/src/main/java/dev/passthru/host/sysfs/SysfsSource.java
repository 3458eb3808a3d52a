package dev.passthru.host.sysfs;

import dev.passthru.InputError;
import dev.passthru.SyntaxError;
import dev.passthru.host.BarLayout;
import dev.passthru.host.BarMemory;
import dev.passthru.host.HostBinding;
import dev.passthru.host.HostFunction;
import dev.passthru.host.HostSource;
import dev.passthru.host.Inventory;
import dev.passthru.host.Origin;
import dev.passthru.pci.ConfigHeader;
import dev.passthru.pci.PciAddress;
import org.jspecify.annotations.Nullable;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

import static dev.passthru.pci.PciRegs.*;

/**
 * The Linux PCI tree: a folder that holds {@code devices/DDDD:BB:DD.F/} (as lspci's
 * {@code sysfs.path} names it), {@code /sys/bus/pci} by default. Per function it reads
 * {@code config}, {@code resource}, the {@code driver} and {@code iommu_group} links (or, in
 * recorded trees, {@code driver.name} and {@code iommu_group.name} files), {@code irq} and
 * {@code numa_node} (the last two only for a full scan: a listing does not show them, and they
 * are a third of its files). Functions are read in parallel; one that cannot be read becomes a problem
 * line and the others still list. Nothing is written, and no BAR touched, unless config writes
 * are enabled: then the device model's trapped BAR accesses reach the device too.
 */
public final class SysfsSource implements HostSource {

    public static final Path DEFAULT_ROOT = Path.of("/sys/bus/pci");

    /** Below this many functions a thread is not worth starting. */
    private static final int MIN_FUNCTIONS_PER_THREAD = 64;
    private static final int THREADS_PER_CORE = 2;

    private final Path root;
    private final boolean live;

    /**
     * @param live whether the device model may change the functions: write their config space
     *             and reach their BARs (mapped resource files, port I/O, the ROM's copy)
     */
    public SysfsSource(Path root, boolean live) {
        this.root = root;
        this.live = live;
    }

    @Override
    public Inventory scan(Detail detail) {
        File devices = root.resolve("devices").toFile();
        String[] names = devices.list();
        if (names == null) {
            throw new InputError(root + ": no readable devices/ folder (expected a sysfs PCI tree such as "
                    + DEFAULT_ROOT + ", or a copy of one)");
        }
        String base = devices.getPath() + File.separator;
        Entry[] read = readAll(base, names, detail);
        List<HostFunction> functions = new ArrayList<>(names.length);
        List<String> problems = new ArrayList<>();
        for (Entry entry : read) {
            HostFunction function = entry.function();
            if (function != null) {
                functions.add(function);
            } else {
                problems.add(Objects.requireNonNull(entry.problem(), "an entry without a function says why"));
            }
        }
        functions.sort(Comparator.comparing(HostFunction::address));
        problems.sort(null);
        return new Inventory("sysfs " + root, functions, problems);
    }

    /** A function read, or the one line that says why it could not be: exactly one is null. */
    private record Entry(@Nullable HostFunction function, @Nullable String problem) {
    }

    /**
     * Reads the functions on a few threads, each taking every n-th name. The work is mostly
     * system calls, and the kernel serves more of them in parallel than there are cores.
     */
    private Entry[] readAll(String base, String[] names, Detail detail) {
        Entry[] read = new Entry[names.length];
        int threads = Math.max(1, Math.min(names.length / MIN_FUNCTIONS_PER_THREAD,
                THREADS_PER_CORE * Runtime.getRuntime().availableProcessors()));
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int first = t;
            workers[t] = Thread.ofPlatform().name("sysfs-" + t).start(() -> {
                SysfsFiles files = new SysfsFiles();
                for (int i = first; i < names.length; i += threads) {
                    read[i] = read(files, base, names[i], detail);
                }
            });
        }
        try {
            for (Thread worker : workers) {
                worker.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading " + base, e);
        }
        return read;
    }

    private Entry read(SysfsFiles files, String base, String name, Detail detail) {
        try {
            return new Entry(function(files, base + name, name, detail), null);
        } catch (InputError e) {
            String message = e.getMessage();
            return new Entry(null, message != null ? message : base + name + ": " + e.getClass().getSimpleName());
        } catch (RuntimeException e) {
            return new Entry(null, base + name + ": cannot read (" + e + ")");
        }
    }

    /**
     * One function's folder. Paths stay strings and files are read with plain streams: a
     * listing reads some 16 000 files, and each Path or channel object costs start-up time.
     */
    private HostFunction function(SysfsFiles files, String dir, String name, Detail detail) {
        PciAddress address;
        try {
            address = PciAddress.parse(name);
        } catch (SyntaxError e) {
            throw new InputError(dir + ": not a function's folder (expected a name DDDD:BB:DD.F)");
        }
        String configPath = dir + "/config";
        File configFile = new File(configPath);
        long size = configFile.length();
        if (size == 0 && !configFile.exists()) {
            throw new InputError(configPath + ": missing (every function has a config file)");
        }
        if (size != PCI_CFG_SPACE_SIZE && size != PCI_CFG_SPACE_EXP_SIZE) {
            throw new InputError(String.format("%s: %d bytes, expected 256 or 4096", configPath, size));
        }
        byte[] head = files.head(configPath, PCI_STD_HEADER_SIZEOF);
        if (head == null || head.length < PCI_STD_HEADER_SIZEOF) {
            throw new InputError(configPath + ": cannot read its first 64 bytes");
        }
        ConfigHeader header = ConfigHeader.of(head);
        SysfsHostConfig config = new SysfsHostConfig(Path.of(configPath), (int) size, live);
        String resourcePath = dir + "/resource";
        String resource = files.text(resourcePath);
        BarLayout bars = BarLayout.NONE;
        if (resource != null) {
            int barCount = switch (header.headerType()) {
                case PCI_HEADER_TYPE_NORMAL -> PCI_STD_NUM_BARS;
                case PCI_HEADER_TYPE_BRIDGE -> PCI_BRIDGE_NUM_BARS;
                default -> 0;
            };
            bars = ResourceFile.parse(resource, barCount, resourcePath);
        }
        boolean full = detail == Detail.FULL;
        HostBinding binding = new HostBinding(
                named(files, dir, "driver"),
                named(files, dir, "iommu_group"),
                full ? number(files, dir + "/irq") : OptionalInt.empty(),
                full ? number(files, dir + "/numa_node") : OptionalInt.empty());
        BarMemory memory = live ? new SysfsBarMemory(dir, bars) : BarMemory.NONE;
        return new HostFunction(address, Origin.SYSFS, dir, header, config, bars, List.of(), memory, binding);
    }

    /**
     * What the link {@code dir/name} points at (its last element, as sysfs names drivers and
     * groups), or in a recorded tree the text of {@code dir/name.name}; blank means none.
     */
    private static Optional<String> named(SysfsFiles files, String dir, String name) {
        String target = SysfsFiles.linkTarget(dir + "/" + name);
        if (target == null) {
            target = files.text(dir + "/" + name + ".name");
        }
        return target == null || target.isEmpty() ? Optional.empty() : Optional.of(target);
    }

    private static OptionalInt number(SysfsFiles files, String path) {
        String text = files.text(path);
        if (text == null) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(text));
        } catch (NumberFormatException e) {
            throw new InputError(path + ":1: expected a decimal number, found '" + text + "'");
        }
    }
}
