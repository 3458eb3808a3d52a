package dev.passthru.cli;

import dev.passthru.InputError;
import dev.passthru.host.sysfs.SysfsSource;
import dev.passthru.spec.AssignmentSpec;
import dev.passthru.vm.HostSourceSpec;
import dev.passthru.vm.VmConfig;
import dev.passthru.xen.ForeignXenStore;
import dev.passthru.xen.XenDomainNames;
import dev.passthru.xen.XenLibraries;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code passthru run} of a VM config whose {@code passthru_hypervisor} is "xen": the domain is
 * the one xl made under the config's name, the functions those of its {@code pci} list, read from
 * its one sysfs source; then it is served as {@code xen serve} serves a domain.
 */
final class XenRun {

    /** Frames per xc_domain_memory_mapping call, as xen serve's default. */
    private static final long FRAMES_PER_CALL = 4096;

    private XenRun() {
    }

    static int serve(VmConfig config, boolean allowUnresettable, PrintWriter out) {
        Optional<String> missing = XenLibraries.missing();
        if (missing.isPresent()) {
            throw new InputError(missing.get());
        }
        if (config.sources().size() != 1 || config.sources().getFirst().kind() != HostSourceSpec.Kind.SYSFS) {
            throw new InputError(config.name() + ": passthru_hypervisor = \"xen\" takes its functions from one sysfs folder "
                    + "(passthru_sources = [ 'sysfs:/sys/bus/pci' ], the default): only real functions can be given to Xen");
        }
        List<Integer> ids;
        try (ForeignXenStore store = new ForeignXenStore()) {
            ids = XenDomainNames.find(store, config.name());
        }
        if (ids.size() != 1) {
            throw new InputError("no Xen domain named '" + config.name() + "'" + (ids.isEmpty() ? "" : " alone (there are " + ids.size()
                    + ": one is being destroyed)") + ": create it first with xl create -p, without pci = [...] in its xl config");
        }
        List<AssignmentSpec> specs = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (VmConfig.Spec spec : config.pci()) {
            specs.add(XenServing.spec(spec.text()));
            texts.add(spec.text());
        }
        Path sysfs = config.sources().getFirst().path();
        return XenServing.serve(ids.getFirst(), specs, texts, config.defaults(), new SysfsSource(sysfs, true).scan(), allowUnresettable,
                FRAMES_PER_CALL, out);
    }
}
