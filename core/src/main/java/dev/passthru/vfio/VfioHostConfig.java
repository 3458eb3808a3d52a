package dev.passthru.vfio;

import dev.passthru.host.HostConfig;
import dev.passthru.host.HostInterrupts;
import dev.passthru.log.RateLimitedLog;
import dev.passthru.os.NativeCallFailed;

import java.lang.System.Logger.Level;

/**
 * A function's config space through its VFIO config region. The kernel's vfio-pci virtualizes
 * parts of it already (BARs, MSI and MSI-X controls); passthru's own mediation sits on top.
 * Guest accesses end here, so a failed access answers all-ones or is dropped, and is logged.
 */
public final class VfioHostConfig implements HostConfig {

    private static final RateLimitedLog LOG = RateLimitedLog.of(VfioHostConfig.class.getName());

    private final VfioHandle handle;
    private final VfioInterrupts interrupts;

    public VfioHostConfig(VfioHandle handle, VfioCalls calls) {
        this.handle = handle;
        this.interrupts = new VfioInterrupts(calls, handle);
    }

    @Override
    public HostInterrupts interrupts() {
        return interrupts;
    }

    @Override
    public int size() {
        return (int) Math.min(handle.device().config().size(), 4096);
    }

    @Override
    public int readable() {
        return size();
    }

    @Override
    public int read(int offset, int width) {
        try {
            return (int) handle.device().read(handle.device().config().index(), offset, width);
        } catch (NativeCallFailed e) {
            LOG.log(Level.WARNING, "%s; answered all-ones", e.getMessage());
            return width == 4 ? -1 : (1 << (8 * width)) - 1;
        }
    }

    /** The function's VFIO device, for a vfio-user server that hands its descriptor to the client. */
    public VfioHandle handle() {
        return handle;
    }

    @Override
    public void release() {
        for (HostInterrupts.Kind kind : HostInterrupts.Kind.values()) {
            interrupts.stop(kind);
        }
        handle.release();
    }

    @Override
    public void write(int offset, int width, int value) {
        try {
            handle.device().write(handle.device().config().index(), offset, width, value);
        } catch (NativeCallFailed e) {
            LOG.log(Level.WARNING, "%s; dropped", e.getMessage());
        }
    }
}
