package dev.passthru.vfio;

import dev.passthru.host.BarMemory;
import dev.passthru.log.RateLimitedLog;
import dev.passthru.os.NativeCallFailed;

import java.lang.System.Logger.Level;

/**
 * A function's BARs and ROM through their VFIO regions, read and written with pread and pwrite.
 * Accesses outside a region, or to a region that is not readable, answer all-ones or are dropped.
 */
public final class VfioBarMemory implements BarMemory {

    private static final RateLimitedLog LOG = RateLimitedLog.of(VfioBarMemory.class.getName());

    private final VfioHandle handle;

    public VfioBarMemory(VfioHandle handle) {
        this.handle = handle;
    }

    @Override
    public long read(int bar, long offset, int width) {
        if (!inside(bar, offset, width)) {
            return width == 8 ? -1L : (1L << (8 * width)) - 1;
        }
        try {
            return handle.device().read(bar, offset, width);
        } catch (NativeCallFailed e) {
            LOG.log(Level.WARNING, "%s; answered all-ones", e.getMessage());
            return width == 8 ? -1L : (1L << (8 * width)) - 1;
        }
    }

    @Override
    public void write(int bar, long offset, int width, long value) {
        if (!inside(bar, offset, width)) {
            return;
        }
        try {
            handle.device().write(bar, offset, width, value);
        } catch (NativeCallFailed e) {
            LOG.log(Level.WARNING, "%s; dropped", e.getMessage());
        }
    }

    private boolean inside(int bar, long offset, int width) {
        if (bar < 0 || bar > BarMemory.ROM || bar >= handle.device().regions().size()) {
            return false;
        }
        VfioDevice.Region region = handle.device().regions().get(bar);
        return region.readable() && offset >= 0 && width > 0 && offset <= region.size() - width;
    }
}
