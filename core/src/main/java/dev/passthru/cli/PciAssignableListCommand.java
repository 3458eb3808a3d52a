package dev.passthru.cli;

import dev.passthru.host.Assignability;
import dev.passthru.host.HostFunction;
import dev.passthru.host.Inventory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.Map;
import java.util.concurrent.Callable;

/** {@code passthru pci-assignable-list}: the functions that may be given to a guest, as xl lists them. */
@Command(name = "pci-assignable-list",
        mixinStandardHelpOptions = true,
        description = "List the host functions that may be given to a guest now, one address a line, as xl "
                + "pci-assignable-list does. 'passthru host list' says why the others may not.")
final class PciAssignableListCommand implements Callable<Integer> {

    @Spec
    private CommandSpec command;

    @Mixin
    private HostSourceOptions sources;

    @Option(names = "--seize", description = "Count functions bound to host drivers, as for specs with seize=1.")
    private boolean seize;

    @Override
    public Integer call() {
        Inventory inventory = sources.source().scan();
        Map<dev.passthru.pci.PciAddress, Assignability.Verdict> verdicts = Assignability.judge(inventory, seize);
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
