package dev.passthru.cli;

import dev.passthru.InputError;
import dev.passthru.SyntaxError;
import dev.passthru.config.ConfigOptions;
import dev.passthru.device.AttachFailed;
import dev.passthru.device.AttachRequest;
import dev.passthru.device.DetachReport;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.device.Placement;
import dev.passthru.device.TrappedRegion;
import dev.passthru.host.Assignability;
import dev.passthru.host.HostFunction;
import dev.passthru.host.Sizes;
import dev.passthru.hypervisor.FaultyHypervisor;
import dev.passthru.hypervisor.TracingHypervisor;
import dev.passthru.pci.PciAddress;
import dev.passthru.vm.SimulatedMachine;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code passthru sim attach}: attach a host function to a simulated domain and show every hypervisor call. */
final class SimAttachCommand implements Callable<Integer> {

    private CommandSpec command;

    static CommandSpec spec() {
        SimAttachCommand attach = new SimAttachCommand();
        CommandSpec spec = Specs.command(attach, "attach",
                "Attach a host function to domain 1 of a simulated hypervisor, placed as firmware would place it, "
                        + "and print every hypervisor call it takes and the hypervisor's state after. With --fail-call N "
                        + "the N-th call fails, to show the attach undone; with --detach the function is detached again.");
        OneFunctionOptions.addTo(spec);
        spec.addOption(Specs.pairs("--place", Integer.class, String.class, "N=ADDR",
                "Guest address of BAR N (0xc0000000); a BAR not placed is left for the guest."));
        spec.addOption(Specs.text("--rom-at", "ADDR", "Guest address of the expansion ROM, enabled."));
        spec.addOption(Specs.text("--decode", "mem,io", "Decodes firmware turns on: mem, io, mem,io or none (default: mem,io)."));
        spec.addOption(Specs.text("--guest", "BDF", "The function's address on the guest's bus (default: 00:04.0)."));
        spec.addOption(Specs.text("--memory", "SIZE", "The domain's RAM (default: 4G): below 3 GiB, the rest from 4 GiB."));
        spec.addOption(Specs.text("--fail-call", "N", "Make the N-th hypervisor call fail (counting from 1)."));
        spec.addOption(Specs.flag("--detach", "Detach the function again after attaching it."));
        spec.addOption(Specs.flag("--seize", "Take the function from a host driver, as for a spec with seize=1."));
        spec.addOption(Specs.flag("--json", "Print one JSON document: calls, outcome, state."));
        Specs.footer(spec, "Examples:",
                "  passthru sim attach 05:00.0 --profile-dir examples/profiles --place 0=0xd0000000 --place 1=0xd0010000",
                "  passthru sim attach 01:00.0 --dump examples/dumps/intel-82576-nic.txt --seize \\",
                "      --place 0=0xc0000000 --place 1=0xc0400000 --place 2=0xc000 --place 3=0xc0800000 --fail-call 5",
                "", "Exit status: 0 attached (and detached), 1 the hypervisor refused a step, 2 bad input.");
        attach.command = spec;
        return spec;
    }

    @Override
    public Integer call() {
        Args args = Args.of(command);
        Placement placement = placement(args);
        PciAddress guest = address(args.text("--guest"), "00:04.0", "--guest");
        long memory = size(args.text("--memory"), "4G", "--memory");
        OneFunctionOptions.Found found = OneFunctionOptions.find(args);
        HostFunction function = found.function();
        Assignability.Verdict verdict = Assignability.judge(found.inventory(), args.flag("--seize")).get(function.address());

        SimulatedMachine simulated = new SimulatedMachine();
        found.inventory().functions().forEach(simulated::addMachineFunction);
        simulated.createDomain(1, memory);
        FaultyHypervisor faulty = new FaultyHypervisor(simulated.hypervisor());
        TracingHypervisor hypervisor = new TracingHypervisor(faulty);
        if (args.text("--fail-call") != null) {
            faulty.failCall(number(args.text("--fail-call"), "--fail-call"));
        }
        List<String> outcome = new ArrayList<>();
        List<TrappedRegion> trapped = List.of();
        int status = ExitCodes.OK;
        try {
            PassthroughDevice device = PassthroughDevice.attach(hypervisor,
                    new AttachRequest(1, guest, function, ConfigOptions.DEFAULT, placement), verdict);
            outcome.add("attached " + function.address() + " to domain 1 as " + guest);
            trapped = device.trappedRegions();
            if (args.flag("--detach")) {
                DetachReport report = device.detach();
                outcome.add(report.clean() ? "detached" : "detach left work: " + String.join("; ", report.failures()));
                status = report.clean() ? ExitCodes.OK : ExitCodes.FAILED;
            }
        } catch (AttachFailed e) {
            outcome.add("attach failed and was undone: " + e.getMessage());
            status = ExitCodes.FAILED;
        }
        print(args.flag("--json"), hypervisor.trace(), outcome, trapped, simulated);
        return status;
    }

    private void print(boolean json, List<String> trace, List<String> outcome, List<TrappedRegion> trapped,
                       SimulatedMachine simulated) {
        PrintWriter out = command.commandLine().getOut();
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("calls", trace);
            doc.put("outcome", outcome);
            doc.put("trapped", trapped);
            doc.put("state", simulated.state());
            out.println(Json.write(doc));
            return;
        }
        StringBuilder text = new StringBuilder("hypervisor calls:\n");
        trace.forEach(line -> text.append("  ").append(line).append('\n'));
        outcome.forEach(line -> text.append(line).append('\n'));
        for (TrappedRegion region : trapped) {
            text.append(String.format("trapped, not mapped: BAR %d 0x%x-0x%x%n", region.bar(), region.offset(),
                    region.offset() + region.length() - 1));
        }
        text.append("hypervisor state:\n").append(Json.write(simulated.state())).append('\n');
        out.print(text);
    }

    private static Placement placement(Args args) {
        Map<Integer, Long> bars = new LinkedHashMap<>();
        args.<Integer, String>pairs("--place").forEach((index, at) -> bars.put(index, number(at, "--place " + index)));
        String rom = args.text("--rom-at");
        String decode = args.text("--decode") != null ? args.text("--decode") : "mem,io";
        boolean memory;
        boolean io;
        switch (decode) {
            case "mem,io", "io,mem" -> { memory = true; io = true; }
            case "mem" -> { memory = true; io = false; }
            case "io" -> { memory = false; io = true; }
            case "none" -> { memory = false; io = false; }
            default -> throw new InputError("bad --decode '" + decode + "': expected mem, io, mem,io or none");
        }
        return new Placement(bars, rom != null ? number(rom, "--rom-at") : 0, rom != null, memory, io);
    }

    private static long number(String text, String option) {
        try {
            long value = Long.decode(text);
            if (value < 0) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new InputError("bad " + option + " '" + text + "': expected a number such as 0xc0000000 or 5");
        }
    }

    private static long size(String text, String absent, String option) {
        try {
            return Sizes.parse(text != null ? text : absent);
        } catch (SyntaxError e) {
            throw new InputError("bad " + option + " " + e.getMessage());
        }
    }

    private static PciAddress address(String text, String absent, String option) {
        try {
            return PciAddress.parse(text != null ? text : absent);
        } catch (SyntaxError e) {
            throw new InputError("bad " + option + " " + e.getMessage());
        }
    }
}
