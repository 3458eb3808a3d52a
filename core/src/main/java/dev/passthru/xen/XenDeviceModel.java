package dev.passthru.xen;

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
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.AssignmentSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * passthru as the device model of a Xen domain's pass-through functions: each one assigned,
 * mapped and routed through {@link XenHypervisor}, and shown to the guest through the domain's
 * {@link IoreqServer}. The guest's firmware places the BARs (hvmloader sizes and programs them
 * through the config space served here), so functions are attached unplaced.
 */
public final class XenDeviceModel implements AutoCloseable {

    private static final int MSIX_CAPABILITY = 0x11;

    private final XenHypervisor hypervisor;
    private final IoreqServer server;
    private final int domain;
    private final Map<PciAddress, PassthroughDevice> devices = new LinkedHashMap<>();

    public XenDeviceModel(XenHypervisor hypervisor, IoreqServer server, int domain) {
        this.hypervisor = hypervisor;
        this.server = server;
        this.domain = domain;
    }

    /** Attaches the function at guest address {@code guest} and routes its config space here. */
    public synchronized PassthroughDevice attach(HostFunction function, AssignmentSpec spec, PciAddress guest,
                                                 Assignability.Verdict verdict) {
        hypervisor.describe(function.address(), new XenHypervisor.Facts(spec.options().effectiveRdmPolicy(), msixTable(function)));
        PassthroughDevice device = PassthroughDevice.attach(hypervisor,
                new AttachRequest(domain, guest, function, ConfigOptions.from(spec.options()), Placement.NONE), verdict);
        try {
            server.serve(device);
        } catch (RuntimeException e) {
            device.detach().failures().forEach(f -> e.addSuppressed(new IllegalStateException("undo: " + f)));
            throw e;
        }
        devices.put(function.address(), device);
        return device;
    }

    /** Stops serving the function and takes down everything Xen holds for it. */
    public synchronized DetachReport detach(PciAddress machine) {
        PassthroughDevice device = devices.remove(machine);
        List<String> failures = new ArrayList<>();
        try {
            server.release(device);
        } catch (RuntimeException e) {
            failures.add(e.getMessage());
        }
        DetachReport report = device.detach();
        failures.addAll(report.failures());
        return new DetachReport(report.state(), failures);
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

    @Override
    public synchronized void close() {
        for (PciAddress machine : List.copyOf(devices.keySet())) {
            detach(machine);
        }
        server.close();
    }

    /** The machine address of the function's MSI-X table, 0 when it has none: Xen's map_pirq_msi needs it. */
    static long msixTable(HostFunction function) {
        HostConfig config = function.config();
        if ((config.read(0x06, 2) & 0x10) == 0) {
            return 0;
        }
        int at = config.read(0x34, 1) & 0xfc;
        for (int hops = 0; at >= 0x40 && hops < 48; hops++) {
            if (config.read(at, 1) == MSIX_CAPABILITY) {
                MsixLayout layout = MsixLayout.read(config, at);
                return function.bars().bars().stream().filter(b -> b.index() == layout.tableBar()).findFirst()
                        .map(HostBar::address).map(a -> a + layout.tableOffset()).orElse(0L);
            }
            at = config.read(at + 1, 1) & 0xfc;
        }
        return 0;
    }
}
