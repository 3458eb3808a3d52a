package dev.passthru.cli;

import dev.passthru.dump.DumpSource;
import dev.passthru.host.HostSource;
import dev.passthru.host.Inventory;
import dev.passthru.host.profile.ProfileSource;
import dev.passthru.host.sysfs.SysfsSource;
import dev.passthru.vfio.ForeignVfioCalls;
import dev.passthru.vfio.VfioSource;
import picocli.CommandLine.Model.ArgGroupSpec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.Map;

/** Where host functions are read from: sysfs (the default), a folder of profiles, or a dump. */
final class HostSourceOptions {

    private HostSourceOptions() {
    }

    static void addTo(CommandSpec spec) {
        spec.addArgGroup(ArgGroupSpec.builder().exclusive(true).multiplicity("0..1")
                .addArg(Specs.text("--sysfs", "DIR",
                        "A sysfs PCI tree: the folder that holds devices/ (default: /sys/bus/pci)."))
                .addArg(Specs.text("--profile-dir", "DIR", "A folder of passthru profiles (*.json)."))
                .addArg(Specs.text("--dump", "FILE", "An lspci -x/-xxx/-xxxx dump."))
                .addArg(Specs.flag("--vfio", "The functions bound to vfio-pci, reached through VFIO (/dev/vfio)."))
                .build());
    }

    /** Whether the command line names a host source (else sysfs is taken by default). */
    static boolean named(Args args) {
        return args.text("--sysfs") != null || args.text("--profile-dir") != null || args.text("--dump") != null
                || args.flag("--vfio");
    }

    static HostSource source(Args args) {
        return source(args, Map.of(), null);
    }

    /** The source, where a dump's functions take these BAR and ROM sizes where it lacks them. */
    static HostSource source(Args args, Map<Integer, Long> dumpSizes, Long dumpRomSize) {
        if (args.text("--profile-dir") != null) {
            return new ProfileSource(Path.of(args.text("--profile-dir")));
        }
        if (args.text("--dump") != null) {
            return new DumpSource(Path.of(args.text("--dump")), dumpSizes, dumpRomSize);
        }
        if (args.flag("--vfio")) {
            return new VfioSource(SysfsSource.DEFAULT_ROOT, new ForeignVfioCalls());
        }
        String sysfs = args.text("--sysfs");
        return new SysfsSource(sysfs != null ? Path.of(sysfs) : SysfsSource.DEFAULT_ROOT, false);
    }

    /**
     * Prints a line for each entry of the inventory that could not be read, after the listing,
     * and returns the exit status: 0, or 2 when there was any.
     */
    static int reportProblems(CommandSpec command, Inventory inventory) {
        inventory.problems().forEach(p -> command.commandLine().getErr().println("passthru: " + p));
        return inventory.problems().isEmpty() ? ExitCodes.OK : ExitCodes.BAD_INPUT;
    }
}
