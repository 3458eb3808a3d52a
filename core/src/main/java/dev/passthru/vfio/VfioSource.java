package dev.passthru.vfio;

import dev.passthru.InputError;
import dev.passthru.host.HostFunction;
import dev.passthru.host.HostSource;
import dev.passthru.host.Inventory;
import dev.passthru.host.sysfs.SysfsSource;
import dev.passthru.os.NativeCallFailed;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The host's functions bound to vfio-pci, opened through VFIO: the sysfs tree gives their
 * identity, BAR layout and IOMMU group; config space and BARs are then reached through the VFIO
 * device, not sysfs. Each device stays open until its function is detached (see
 * {@link VfioHandle}); the functions of one IOMMU group share its group and container (see
 * {@link VfioGroup}), so a GPU and its audio function are both listed and both given. When /dev/vfio/vfio cannot be opened, through the same calls that
 * open the devices, the scan fails at once saying so.
 */
public final class VfioSource implements HostSource {

    private static final String CONTAINER = "/dev/vfio/vfio";

    private final Path sysfs;
    private final VfioCalls calls;

    public VfioSource(Path sysfs, VfioCalls calls) {
        this.sysfs = sysfs;
        this.calls = calls;
    }

    @Override
    public Inventory scan(Detail detail) {
        try {
            calls.close(calls.open(CONTAINER));
        } catch (NativeCallFailed e) {
            throw new InputError(CONTAINER + ": no VFIO on this machine (modprobe vfio-pci, and an IOMMU is needed): "
                    + e.getMessage());
        }
        Inventory all = new SysfsSource(sysfs, false).scan(Detail.FULL);
        List<HostFunction> functions = new ArrayList<>();
        List<String> problems = new ArrayList<>(all.problems());
        for (HostFunction f : all.functions()) {
            if (!f.binding().driver().map("vfio-pci"::equals).orElse(false)) {
                continue;
            }
            try {
                VfioHandle handle = new VfioHandle(calls, f.address(), f.binding().iommuGroup()
                        .orElseThrow(() -> new InputError(f.address() + ": bound to vfio-pci but in no IOMMU group")));
                handle.device();
                functions.add(new HostFunction(f.address(), f.origin(), "vfio " + f.source(), f.header(),
                        new VfioHostConfig(handle, calls), f.bars(), f.unsized(), new VfioBarMemory(handle), f.binding()));
            } catch (InputError | NativeCallFailed e) {
                problems.add(f.address() + ": " + e.getMessage());
            }
        }
        return new Inventory("vfio " + sysfs, functions, problems);
    }
}
