package dev.passthru.cli;

import dev.passthru.InputError;
import dev.passthru.config.ConfigOptions;
import dev.passthru.device.DetachReport;
import dev.passthru.host.Assignability;
import dev.passthru.host.HostFunction;
import dev.passthru.host.Inventory;
import dev.passthru.os.ForeignUnixSockets;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.AssignmentSpec;
import dev.passthru.vfio.ForeignVfioCalls;
import dev.passthru.vfiouser.ServedFunction;
import dev.passthru.vfiouser.VfioUserServer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;

/**
 * {@code passthru serve --vfio-user SOCKET SPEC...}: be the out-of-process device of a VMM
 * that speaks vfio-user (QEMU's vfio-user-pci, cloud-hypervisor's --user-device): each function
 * served on its own socket until SIGTERM or Ctrl-C, then detached.
 */
final class VfioUserServeCommand implements Callable<Integer> {

    private CommandSpec command;

    static CommandSpec spec() {
        VfioUserServeCommand serve = new VfioUserServeCommand();
        CommandSpec spec = Specs.command(serve, "serve",
                "Serve host functions to a VMM over vfio-user: config space mediated by passthru's device model, "
                        + "the parts of each BAR it does not trap offered to be mapped by the VFIO device's own "
                        + "descriptor (with --vfio), guest memory mapped for the device by VFIO_IOMMU_MAP_DMA, "
                        + "interrupts handed to the kernel's VFIO_DEVICE_SET_IRQS so it signals the VMM's eventfds. "
                        + "One client at a time per socket; one that reconnects finds the function as it was. "
                        + "Runs until SIGTERM or Ctrl-C, then detaches every function.");
        spec.addOption(Specs.text("--vfio-user", "SOCKET", "The socket path to listen at; with several functions, a "
                + "folder that gets one socket per function, named after it (0000:03:00.0.sock)."));
        spec.addPositional(PositionalParamSpec.builder().index("0..*").arity("1..*").type(List.class)
                .auxiliaryTypes(String.class).paramLabel("SPEC")
                .description("xl's PCI_SPEC_STRING: BDF[,permissive=1][,power_mgmt=1][,seize=1]. With --vfio, each function must be "
                        + "bound to vfio-pci.").build());
        HostSourceOptions.addTo(spec);
        Specs.footer(spec, "Examples:",
                "  passthru serve --vfio-user /run/nvme.sock --vfio 0000:03:00.0 &",
                "  qemu-system-x86_64 ... -device '{\"driver\":\"vfio-user-pci\",\"socket\":{\"path\":\"/run/nvme.sock\",\"type\":\"unix\"}}'",
                "  cloud-hypervisor ... --user-device socket=/run/nvme.sock",
                "", "Exit status: 0 served and detached cleanly, 1 a detach step failed, 2 bad input.");
        serve.command = spec;
        return spec;
    }

    @Override
    public Integer call() throws InterruptedException {
        Args args = Args.of(command);
        String socket = args.text("--vfio-user");
        if (socket == null) {
            throw new InputError("serve needs --vfio-user SOCKET: the path the VMM connects to");
        }
        List<AssignmentSpec> specs = new ArrayList<>();
        for (String text : args.positionals(0)) {
            specs.add(XenServing.spec(text));
        }
        boolean folder = specs.size() > 1;
        if (folder && !Files.isDirectory(Path.of(socket))) {
            throw new InputError("--vfio-user " + socket + ": with " + specs.size() + " functions this must be a folder "
                    + "(each gets its own socket there)");
        }
        Inventory inventory = HostSourceOptions.source(args).scan();
        Map<PciAddress, Assignability.Verdict> verdicts = Assignability.judge(inventory, false);
        Map<PciAddress, Assignability.Verdict> seized = Assignability.judge(inventory, true);
        PrintWriter out = command.commandLine().getOut();
        List<ServedFunction> functions = new ArrayList<>();
        List<VfioUserServer> servers = new ArrayList<>();
        try {
            for (AssignmentSpec spec : specs) {
                HostFunction host = inventory.functions().stream().filter(f -> f.address().equals(spec.address()))
                        .findFirst().orElseThrow(() -> new InputError(spec.address() + ": no such function in "
                                + inventory.source() + problems(inventory)));
                ServedFunction function = ServedFunction.attach(host, ConfigOptions.from(spec.options()),
                        (spec.options().effectiveSeize() ? seized : verdicts).get(host.address()));
                functions.add(function);
                String path = folder ? Path.of(socket, host.address() + ".sock").toString() : socket;
                VfioUserServer server = VfioUserServer.start(new ForeignUnixSockets(), new ForeignVfioCalls(), function, path);
                servers.add(server);
                out.println("serving " + host.address() + " on " + path + ": " + function.describe());
            }
        } catch (RuntimeException e) {
            stop(servers, functions, out);
            throw e;
        }
        out.flush();
        // SIGTERM and Ctrl-C run the hook (the main thread waits for it); it ends the process with the detach's own status
        // (0 when every function came back cleanly), not the signal's 143 or 130
        Runtime.getRuntime().addShutdownHook(new Thread(() -> Runtime.getRuntime().halt(stop(servers, functions, out))));
        new CountDownLatch(1).await();
        return ExitCodes.OK;
    }

    private static String problems(Inventory inventory) {
        return inventory.problems().isEmpty() ? "" : " (" + String.join("; ", inventory.problems()) + ")";
    }

    /** Closes the sockets, then detaches each function; 1 where a detach step failed. */
    private static int stop(List<VfioUserServer> servers, List<ServedFunction> functions, PrintWriter out) {
        servers.forEach(VfioUserServer::close);
        int status = ExitCodes.OK;
        for (ServedFunction function : functions) {
            DetachReport report = function.detach();
            out.println("detached " + function.address() + function.released().map(r -> ", " + r).orElse("")
                    + (report.failures().isEmpty() ? "" : "; failed: " + String.join("; ", report.failures())));
            if (!report.failures().isEmpty()) {
                status = ExitCodes.FAILED;
            }
        }
        out.flush();
        return status;
    }
}
