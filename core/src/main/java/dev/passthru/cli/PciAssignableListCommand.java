package dev.passthru.cli;

import dev.passthru.host.Assignability;
import dev.passthru.host.HostFunction;
import dev.passthru.host.HostSource.Detail;
import dev.passthru.host.Inventory;
import dev.passthru.pci.PciAddress;
import picocli.CommandLine.Model.CommandSpec;

import java.util.Map;
import java.util.concurrent.Callable;

/** {@code passthru pci-assignable-list}: the functions that may be given to a guest, as xl lists them. */
final class PciAssignableListCommand implements Callable<Integer> {

    private CommandSpec command;

    static CommandSpec spec() {
        PciAssignableListCommand list = new PciAssignableListCommand();
        CommandSpec spec = Specs.command(list, "pci-assignable-list",
                "List the host functions that may be given to a guest now, one address a line, as xl "
                        + "pci-assignable-list does. 'passthru host list' says why the others may not.");
        HostSourceOptions.addTo(spec);
        spec.addOption(Specs.flag("--seize", "Count functions bound to host drivers, as for specs with seize=1."));
        list.command = spec;
        return spec;
    }

    @Override
    public Integer call() {
        Args args = Args.of(command);
        Inventory inventory = HostSourceOptions.source(args).scan(Detail.LISTING);
        Map<PciAddress, Assignability.Verdict> verdicts = Assignability.judge(inventory, args.flag("--seize"));
        StringBuilder out = new StringBuilder();
        for (HostFunction f : inventory.functions()) {
            if (verdicts.get(f.address()).assignable()) {
                out.append(f.address()).append('\n');
            }
        }
        command.commandLine().getOut().print(out);
        return HostSourceOptions.reportProblems(command, inventory);
    }
}
