package dev.passthru.cli;

import dev.passthru.InputError;
import dev.passthru.control.ControlPlane;
import dev.passthru.control.ControlServer;
import dev.passthru.control.XenPlane;
import dev.passthru.host.sysfs.SysfsSource;
import dev.passthru.xen.ForeignIoreqCalls;
import dev.passthru.xen.ForeignXenControl;
import dev.passthru.xen.ForeignXenStore;
import dev.passthru.xen.XenLibraries;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code passthru daemon}: serve VMs and the control socket until stopped. */
final class DaemonCommand implements Callable<Integer> {

    private CommandSpec command;

    static CommandSpec spec() {
        DaemonCommand daemon = new DaemonCommand();
        CommandSpec spec = Specs.command(daemon, "daemon",
                "Serve VMs (on the simulated hypervisor, with the built-in guest) and the control socket that "
                        + "'passthru create', 'pci-attach' and the other daemon commands speak to. Every change is "
                        + "journaled in the state folder before it is acknowledged; at start the journal is replayed and "
                        + "the hypervisor reconciled with it.");
        DaemonOptions.addTo(spec);
        spec.addOption(Specs.text("--state-dir", "DIR", "Where the journal and the hypervisor's state live (default: /var/lib/passthru)."));
        spec.addOption(Specs.text("--vms", "DIR", "At start, create a VM from each *.cfg in DIR that does not exist yet."));
        spec.addOption(Specs.text("--hypervisor", "simulated|xen", "Whose VMs (default: simulated). xen, in dom0: the VMs are "
                + "the domains xl made; pci-attach serves a function to a domain created paused (xl create -p) from an "
                + "ioreq server the daemon owns, and a domain's death detaches its functions. Each domain served is kept "
                + "in the state folder: a daemon started after one died (kill -9 included) takes its domains over, "
                + "their ioreq servers and what Xen holds for them, while their guests run."));
        spec.addOption(Specs.text("--group", "GROUP", "Let this group use the socket too (mode 0660; default: owner only, 0600)."));
        Specs.footer(spec, "Examples:",
                "  passthru daemon --state-dir /tmp/pt --socket /tmp/pt/control.sock &",
                "  passthru create examples/vms/server.cfg --socket /tmp/pt/control.sock");
        daemon.command = spec;
        return spec;
    }

    @Override
    public Integer call() throws InterruptedException {
        Args args = Args.of(command);
        Path state = Path.of(args.text("--state-dir") != null ? args.text("--state-dir") : "/var/lib/passthru");
        Path socket = DaemonOptions.socket(args);
        String hypervisor = args.text("--hypervisor") != null ? args.text("--hypervisor") : "simulated";
        if (hypervisor.equals("xen")) {
            return serveXen(socket, state, args.text("--group"));
        }
        if (!hypervisor.equals("simulated")) {
            throw new InputError("bad --hypervisor '" + hypervisor + "': expected simulated or xen");
        }
        ControlPlane plane = ControlPlane.open(state);
        ControlPlane.Recovery r = plane.recovery();
        List<String> created = args.text("--vms") != null ? plane.createAll(Path.of(args.text("--vms"))) : List.of();
        ControlServer server = ControlServer.listen(plane, socket, args.text("--group"));
        command.commandLine().getErr().printf("passthru daemon: %d journal record(s) replayed%s in %.1f ms; hypervisor "
                        + "reconciled: %d entr%s removed, %d made again; listening on %s%n", r.records(),
                r.tornTail() ? " (a torn last record was dropped)" : "", r.nanos() / 1e6, r.removed(),
                r.removed() == 1 ? "y" : "ies", r.remade(), socket);
        if (!created.isEmpty()) {
            command.commandLine().getErr().println("passthru daemon: created " + String.join(", ", created));
        }
        command.commandLine().getErr().flush();
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            plane.close();
            stop.countDown();
        }));
        stop.await();
        return ExitCodes.OK;
    }

    /** The daemon on a Xen host, until stopped. */
    private Integer serveXen(Path socket, Path state, String group) throws InterruptedException {
        XenLibraries.missing().ifPresent(missing -> {
            throw new InputError(missing);
        });
        PrintWriter err = command.commandLine().getErr();
        ForeignXenControl xen = new ForeignXenControl();
        ForeignIoreqCalls calls = new ForeignIoreqCalls();
        ForeignXenStore store = new ForeignXenStore();
        long start = System.nanoTime();
        XenPlane plane = new XenPlane(xen, calls, store, new ForeignXenStore(), SysfsSource.DEFAULT_ROOT, state, FRAMES_PER_CALL,
                err);
        ControlServer server = ControlServer.listen(plane, socket, group);
        err.printf("passthru daemon: serving Xen domains (%d taken over from %s); started in %.0f ms; listening on %s%n",
                plane.takenOver(), state, (System.nanoTime() - start) / 1e6, socket);
        err.flush();
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            plane.close();
            store.close();
            calls.close();
            xen.close();
            err.println("passthru daemon: stopped");
            err.flush();
            stop.countDown();
        }));
        stop.await();
        return ExitCodes.OK;
    }

    /** Frames per xc_domain_memory_mapping call, as xen serve's default. */
    private static final long FRAMES_PER_CALL = 4096;
}
