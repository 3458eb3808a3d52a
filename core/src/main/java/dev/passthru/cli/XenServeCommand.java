package dev.passthru.cli;

import dev.passthru.InputError;
import dev.passthru.host.Inventory;
import dev.passthru.host.sysfs.SysfsSource;
import dev.passthru.spec.AssignmentSpec;
import dev.passthru.spec.SpecOptions;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code passthru xen serve}: be the device model of a running (or paused) Xen domain's
 * pass-through functions until told to stop or until the domain is gone, then take everything
 * down.
 */
final class XenServeCommand implements Callable<Integer> {

    private static final long DEFAULT_FRAMES_PER_CALL = 4096;

    private CommandSpec command;

    static CommandSpec spec() {
        XenServeCommand serve = new XenServeCommand();
        CommandSpec spec = Specs.command(serve, "serve",
                "Be the device model of a Xen domain's pass-through functions: reset each function, assign it to the "
                        + "domain through Xen, serve its config space to the guest from an ioreq server, map its BARs "
                        + "where the guest puts them and route its interrupts with real hypercalls. Runs until stdin says "
                        + "'detach' or closes, until SIGTERM, or until the domain is gone; then detaches every function, "
                        + "resets it and takes the server down. stdin 'status' prints where each BAR is and what is mapped.");
        spec.addPositional(Specs.positional(0, "DOMAIN", "The domain id (xl list)."));
        spec.addPositional(PositionalParamSpec.builder().index("1..*").arity("1..*").type(List.class)
                .auxiliaryTypes(String.class).paramLabel("SPEC")
                .description("xl's PCI_SPEC_STRING: BDF[@SLOT][,rdm_policy=strict|relaxed][,permissive=1][,power_mgmt=1]."
                        + " Each function must be given to Xen first (xl pci-assignable-add BDF).").build());
        spec.addOption(Specs.text("--sysfs", "DIR", "Where the host's functions are (default: /sys/bus/pci). The device "
                + "model writes their config space and reaches their BARs there: the guest's writes that pass through "
                + "reach the device."));
        spec.addOption(Specs.text("--frames-per-call", "N",
                "Frames per xc_domain_memory_mapping call (default 4096: Xen maps 64 frames per pass and continues "
                        + "by itself, so larger calls save only the trips into the kernel; measured in the README)."));
        spec.addOption(Specs.flag("--allow-unresettable", "Attach a function the kernel cannot reset (no FLR, no PM "
                + "reset, not alone on a bus): the guest then gets it as its last user left it."));
        Specs.footer(spec, "Example (in dom0, the guest created paused):",
                "  xl pci-assignable-add 0000:03:00.0 && xl create -p guest.cfg",
                "  passthru xen serve 1 0000:03:00.0@5 & xl unpause 1",
                "", "Exit status: 0 served and detached cleanly, 1 a hypercall or reset failed, 2 bad input or no Xen here.");
        serve.command = spec;
        return spec;
    }

    @Override
    public Integer call() {
        Args args = Args.of(command);
        int domain = number(args.positional(0), "domain id");
        List<AssignmentSpec> specs = new ArrayList<>();
        for (String text : args.positionals(1)) {
            specs.add(XenServing.spec(text));
        }
        long framesPerCall = args.text("--frames-per-call") != null ? number(args.text("--frames-per-call"), "--frames-per-call") : DEFAULT_FRAMES_PER_CALL;
        String sysfs = args.text("--sysfs");
        Inventory inventory = new SysfsSource(sysfs != null ? Path.of(sysfs) : SysfsSource.DEFAULT_ROOT, true).scan();
        return XenServing.serve(domain, specs, args.positionals(1), SpecOptions.NONE, inventory, args.flag("--allow-unresettable"), framesPerCall,
                command.commandLine().getOut());
    }

    private static int number(String text, String what) {
        try {
            int value = Integer.decode(text);
            if (value < 0) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new InputError("bad " + what + " '" + text + "': expected a number such as 1");
        }
    }
}
