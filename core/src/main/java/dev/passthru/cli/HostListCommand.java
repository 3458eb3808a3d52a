package dev.passthru.cli;

import dev.passthru.host.Assignability;
import dev.passthru.host.Assignability.Verdict;
import dev.passthru.host.HostFunction;
import dev.passthru.host.HostSource.Detail;
import dev.passthru.host.Inventory;
import dev.passthru.pci.ConfigHeader;
import dev.passthru.pci.PciAddress;
import dev.passthru.pci.PciIds;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code passthru host list}: one line per host function. */
final class HostListCommand implements Callable<Integer> {

    private CommandSpec command;

    static CommandSpec spec() {
        HostListCommand list = new HostListCommand();
        CommandSpec spec = Specs.command(list, "list",
                "List host functions, one line each as lspci -nn prints them, with the driver, the IOMMU group, "
                        + "and whether the function may be given to a guest (and why not).");
        HostSourceOptions.addTo(spec);
        spec.addOption(Specs.flag("-n", "Numbers only, as lspci -n (no names from pci.ids)."));
        spec.addOption(Specs.flag("--seize", "Judge assignability as for a spec with seize=1 (any host driver may be taken)."));
        spec.addOption(Specs.flag("--json", "Print one JSON document for tooling."));
        Specs.footer(spec, "Examples:",
                "  passthru host list",
                "  passthru host list --sysfs ../shared/fixtures/sysfs-firecracker -n",
                "  passthru host list --dump examples/dumps/asus-p6t6-board.txt --json",
                "", "Exit status: 0 listed, 2 some entries could not be read (one line each on stderr; the rest is listed).");
        list.command = spec;
        return spec;
    }

    @Override
    public Integer call() {
        Args args = Args.of(command);
        boolean numeric = args.flag("-n");
        boolean json = args.flag("--json");
        Inventory inventory = HostSourceOptions.source(args).scan(json ? Detail.FULL : Detail.LISTING);
        Map<PciAddress, Verdict> verdicts = Assignability.judge(inventory, args.flag("--seize"));
        PrintWriter out = command.commandLine().getOut();
        PciIds ids = numeric ? PciIds.of("") : PciIds.system();
        if (json) {
            List<Map<String, Object>> docs = new ArrayList<>();
            for (HostFunction f : inventory.functions()) {
                docs.add(FunctionJson.describe(f, verdicts.get(f.address()), ids));
            }
            out.println(Json.write(docs));
        } else {
            StringBuilder text = new StringBuilder(inventory.functions().size() * 160);
            for (HostFunction f : inventory.functions()) {
                ConfigHeader header = f.header();
                text.append(f.address()).append(' ')
                        .append(numeric ? FunctionText.numeric(header) : FunctionText.named(header, ids))
                        .append("  driver: ").append(f.binding().driver().orElse("none"))
                        .append("  group: ").append(f.binding().iommuGroup().orElse("none"))
                        .append("  assignable: ").append(verdicts.get(f.address()))
                        .append('\n');
            }
            out.print(text);
        }
        out.flush();
        return HostSourceOptions.reportProblems(command, inventory);
    }
}
