package dev.passthru.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.passthru.InputError;
import dev.passthru.control.ControlClient;
import dev.passthru.host.Assignability;
import dev.passthru.host.HostFunction;
import dev.passthru.host.HostSource.Detail;
import dev.passthru.host.Inventory;
import dev.passthru.pci.PciAddress;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code passthru pci-assignable-list}: the functions that may be given to a guest, as xl lists them. */
final class PciAssignableListCommand implements Callable<Integer> {

    private CommandSpec command;

    static CommandSpec spec() {
        PciAssignableListCommand list = new PciAssignableListCommand();
        CommandSpec spec = Specs.command(list, "pci-assignable-list",
                "List the host functions that may be given to a guest now, one address a line, as xl "
                        + "pci-assignable-list does: the daemon's assignable set (pci-assignable-add) when a daemon "
                        + "answers and no host source is named, else the host's functions that passthru judges "
                        + "assignable ('passthru host list' says why the others are not).");
        HostSourceOptions.addTo(spec);
        DaemonOptions.addTo(spec);
        spec.addOption(Specs.flag("--seize", "Count functions bound to host drivers, as for specs with seize=1."));
        list.command = spec;
        return spec;
    }

    @Override
    public Integer call() {
        Args args = Args.of(command);
        boolean namedSource = HostSourceOptions.named(args);
        Path socket = DaemonOptions.socket(args);
        if (!namedSource && Files.exists(socket)) {
            try (ControlClient client = ControlClient.connect(socket)) {
                JsonNode reply = client.request("pci-assignable-list", Map.of());
                command.commandLine().getOut().print(DaemonRequestCommand.addresses(reply.path("result")));
                return ExitCodes.OK;
            } catch (InputError e) {
                command.commandLine().getErr().println("passthru: " + e.getMessage() + "; listing the host's functions instead");
            }
        }
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
