package dev.passthru.xen;

import dev.passthru.config.CapabilityWalker;
import dev.passthru.config.ConfigOptions;
import dev.passthru.device.AttachRequest;
import dev.passthru.device.DetachReport;
import dev.passthru.device.MsixLayout;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.device.Placement;
import dev.passthru.host.Assignability;
import dev.passthru.host.HostBar;
import dev.passthru.host.HostConfig;
import dev.passthru.host.HostFunction;
import dev.passthru.host.sysfs.SysfsReset;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.AssignmentSpec;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static dev.passthru.pci.CapabilityIds.PCI_CAP_ID_MSIX;

/**
 * passthru as the device model of a Xen domain's pass-through functions: each one reset,
 * assigned, mapped and routed through {@link XenHypervisor}, its interrupt enables turned on and
 * off as Xen leaves to dom0 ({@link XenHostInterrupts}), and shown to the guest through the
 * domain's {@link IoreqServer}. The guest's firmware places the BARs (hvmloader sizes and
 * programs them through the config space served here), so functions are attached unplaced.
 * When the domain is gone, detach lets go of what is passthru's own and checks that Xen, which
 * took the rest back itself, holds nothing of the function.
 */
public final class XenDeviceModel implements AutoCloseable {

    /** How long a detach waits for Xen to give a dying domain's function back. */
    private static final long RELEASE_WAIT_MILLIS = 10_000;

    /** An attached function and how it was reset before the guest got it (null: it cannot be). */
    public record Attached(PassthroughDevice device, @Nullable String resetMethod) {
    }

    /**
     * How a detach went.
     *
     * @param domainGone  the domain was gone: Xen had taken back what it held for the function
     * @param failures    steps that failed
     * @param heldForGuest whether Xen still gives the function to a guest afterwards
     * @param reset       how it was reset after it was taken back ("reset: flr"), or why not
     */
    public record Detached(boolean domainGone, List<String> failures, boolean heldForGuest, String reset) {

        public boolean clean() {
            return failures.isEmpty() && !heldForGuest;
        }
    }

    private final XenControl xen;
    private final XenHypervisor hypervisor;
    private final IoreqServer server;
    private final int domain;
    private final Map<PciAddress, PassthroughDevice> devices = new LinkedHashMap<>();
    private boolean abandoned;

    public XenDeviceModel(XenControl xen, XenHypervisor hypervisor, IoreqServer server, int domain) {
        this.xen = xen;
        this.hypervisor = hypervisor;
        this.server = server;
        this.domain = domain;
    }

    /**
     * Resets the function (unless {@code reset} is false: the caller accepted one that cannot be),
     * attaches it at guest address {@code guest} and routes its config space here.
     *
     * @throws IOException when the reset failed; nothing was attached
     */
    public synchronized Attached attach(HostFunction function, AssignmentSpec spec, PciAddress guest,
                                        Assignability.Verdict verdict, boolean reset) throws IOException {
        String method = reset ? SysfsReset.reset(Path.of(function.source())) : null;
        hypervisor.describe(function.address(), new XenHypervisor.Facts(spec.options().effectiveRdmPolicy(), msixTableBar(function)));
        AttachRequest request = new AttachRequest(domain, guest, function, ConfigOptions.from(spec.options()), Placement.NONE,
                XenHostInterrupts.of(function.config()));
        PassthroughDevice device = PassthroughDevice.attach(hypervisor, request, verdict);
        try {
            server.serve(device);
        } catch (RuntimeException e) {
            device.detach().failures().forEach(f -> e.addSuppressed(new IllegalStateException("undo: " + f)));
            throw e;
        }
        devices.put(function.address(), device);
        return new Attached(device, method);
    }

    /**
     * Stops serving the function and takes down everything Xen holds for it, or, when the
     * domain is gone, only what is passthru's own; then waits for Xen to let the function go and
     * resets it (where {@code reset} and the kernel can).
     */
    public synchronized Detached detach(PciAddress machine, boolean reset) {
        PassthroughDevice device = Objects.requireNonNull(devices.remove(machine), "detach is given only a function attach gave");
        List<String> failures = new ArrayList<>();
        boolean gone = domainGone();
        if (gone) {
            abandon();
            device.abandon();
        } else {
            try {
                server.release(device);
            } catch (RuntimeException e) {
                failures.add(e.getMessage());
            }
            DetachReport report = device.detach();
            failures.addAll(report.failures());
        }
        boolean held = heldForGuest(machine, gone);
        Path dir = Path.of(device.function().source());
        String done;
        if (!reset) {
            done = "not reset";
        } else if (held) {
            done = "not reset: Xen still gives it to a guest";
        } else if (SysfsReset.unresettable(dir).isPresent()) {
            done = "not reset: it cannot be";
        } else {
            try {
                done = "reset: " + SysfsReset.reset(dir);
            } catch (IOException e) {
                done = "reset failed";
                failures.add("reset after detach: " + e.getMessage());
            }
        }
        return new Detached(gone, failures, held, done);
    }

    /** Whether the domain is gone (being destroyed or destroyed): Xen takes back what it held by itself. */
    public boolean domainGone() {
        return abandoned || xen.domainState(domain) == XenControl.DomainState.GONE;
    }

    /** Whether Xen still gives the function to a guest; for a dying domain ({@code wait}), after a while to let it go. */
    private boolean heldForGuest(PciAddress machine, boolean wait) {
        long until = System.nanoTime() + RELEASE_WAIT_MILLIS * 1_000_000;
        while (xen.heldForGuest(XenSbdf.of(machine))) {
            if (!wait || System.nanoTime() > until) {
                return true;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
        }
        return false;
    }

    private void abandon() {
        if (!abandoned) {
            abandoned = true;
            server.abandon();
            hypervisor.forget(domain);
        }
    }

    public synchronized List<PassthroughDevice> devices() {
        return List.copyOf(devices.values());
    }

    public IoreqServer server() {
        return server;
    }

    public XenHypervisor hypervisor() {
        return hypervisor;
    }

    public int domain() {
        return domain;
    }

    /** Detaches what is still attached (without resets) and takes the server down, or lets go of it if the domain is gone. */
    @Override
    public synchronized void close() {
        for (PciAddress machine : List.copyOf(devices.keySet())) {
            detach(machine, false);
        }
        if (!abandoned) {
            server.close();
        }
    }

    /** The machine address of the BAR holding the function's MSI-X table, 0 when it has none: Xen's map_pirq_msi needs it. */
    static long msixTableBar(HostFunction function) {
        HostConfig config = function.config();
        return CapabilityWalker.walk(config).find(PCI_CAP_ID_MSIX)
                .map(msix -> MsixLayout.read(config, msix.offset()).tableBar())
                .flatMap(bar -> function.bars().bar(bar))
                .map(HostBar::address).orElse(0L);
    }
}
