package dev.passthru.cli;

import dev.passthru.InputError;
import dev.passthru.host.HostFunction;
import dev.passthru.host.profile.ProfileWriter;
import dev.passthru.pci.ConfigHeader;
import dev.passthru.pci.PciAddress;
import dev.passthru.pci.PciIds;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code passthru host snapshot}: record a host function as a profile. */
final class HostSnapshotCommand implements Callable<Integer> {

    private CommandSpec command;

    static CommandSpec spec() {
        HostSnapshotCommand snapshot = new HostSnapshotCommand();
        CommandSpec spec = Specs.command(snapshot, "snapshot",
                "Record a host function as a profile (JSON: config bytes, BARs with addresses and sizes, ROM, IRQ, "
                        + "IOMMU group, driver), which --profile-dir then serves as a stand-in for the hardware.");
        OneFunctionOptions.addTo(spec);
        spec.addOption(Specs.text(new String[] {"-o", "--output"}, "FILE",
                "Where to write the profile (default: standard output)."));
        Specs.footer(spec, "Examples:",
                "  passthru host snapshot 00:03.0 -o nic.json",
                "  passthru host snapshot 09:00.0 --dump examples/dumps/amd-fiji-gpu.txt --bar 0=256M --bar 2=2M --bar 4=256 --bar 5=256K --rom 128K -o gpu.json");
        snapshot.command = spec;
        return spec;
    }

    @Override
    public Integer call() {
        Args args = Args.of(command);
        OneFunctionOptions.Found found = OneFunctionOptions.find(args);
        HostFunction f = found.function();
        PciAddress address = f.address();
        if (!f.unsized().isEmpty()) {
            throw new InputError(f.source() + ": " + address + " " + f.unsized().getFirst().problem());
        }
        if (f.config().readable() < f.config().size()) {
            command.commandLine().getErr().printf("passthru: only %d of %d bytes of %s's config space could be read%s; "
                            + "the profile holds those%n", f.config().readable(), f.config().size(), address,
                    f.origin().recorded() ? "" : " (the rest needs root)");
        }
        ConfigHeader header = f.header();
        String profile = ProfileWriter.write(f, FunctionText.named(header, PciIds.system()));
        if (args.text("--output") == null) {
            command.commandLine().getOut().print(profile);
            return ExitCodes.OK;
        }
        Path output = Path.of(args.text("--output"));
        AtomicFile.write(output, profile);
        return ExitCodes.OK;
    }
}
