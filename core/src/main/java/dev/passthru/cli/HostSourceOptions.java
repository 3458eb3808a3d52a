package dev.passthru.cli;

import dev.passthru.dump.DumpSource;
import dev.passthru.host.HostSource;
import dev.passthru.host.Inventory;
import dev.passthru.host.profile.ProfileSource;
import dev.passthru.host.sysfs.SysfsSource;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Where host functions are read from: sysfs (the default), a folder of profiles, or a dump. */
final class HostSourceOptions {

    @ArgGroup(exclusive = true)
    private Choice choice;

    static final class Choice {
        @Option(names = "--sysfs", paramLabel = "DIR",
                description = "A sysfs PCI tree: the folder that holds devices/ (default: /sys/bus/pci).")
        Path sysfs;

        @Option(names = "--profile-dir", paramLabel = "DIR", description = "A folder of passthru profiles (*.json).")
        Path profiles;

        @Option(names = "--dump", paramLabel = "FILE", description = "An lspci -x/-xxx/-xxxx dump.")
        Path dump;
    }

    HostSource source() {
        return source(java.util.Map.of(), null);
    }

    /** The source, where a dump's functions take these BAR and ROM sizes where it lacks them. */
    HostSource source(java.util.Map<Integer, Long> dumpSizes, Long dumpRomSize) {
        if (choice != null && choice.profiles != null) {
            return new ProfileSource(choice.profiles);
        }
        if (choice != null && choice.dump != null) {
            return new DumpSource(choice.dump, dumpSizes, dumpRomSize);
        }
        return new SysfsSource(choice != null && choice.sysfs != null ? choice.sysfs : SysfsSource.DEFAULT_ROOT, false);
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
