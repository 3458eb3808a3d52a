package dev.passthru.vfio;

import dev.passthru.InputError;
import dev.passthru.host.HostConfig;
import dev.passthru.host.HostInterrupts;
import dev.passthru.log.RateLimitedLog;
import dev.passthru.os.NativeCallFailed;

import java.lang.System.Logger.Level;
import java.util.Optional;

/**
 * A function's config space through its VFIO config region. The kernel's vfio-pci virtualizes
 * parts of it already (BARs, MSI and MSI-X controls); passthru's own mediation sits on top.
 * Guest accesses end here, so a failed access answers all-ones or is dropped, and is logged.
 * While vfio-pci holds the function only its VFIO user can reset it, so this source resets it
 * before it is given to a guest and again before it is given back ({@link VfioDevice#reset}
 * says which reset).
 */
public final class VfioHostConfig implements HostConfig {

    private static final RateLimitedLog LOG = RateLimitedLog.of(VfioHostConfig.class.getName());

    private final VfioHandle handle;
    private final VfioInterrupts interrupts;
    /** Whether the function was readied for a guest and not yet given back; guarded by this. */
    private boolean forGuest;

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
    public void write(int offset, int width, int value) {
        try {
            handle.device().write(handle.device().config().index(), offset, width, value);
        } catch (NativeCallFailed e) {
            LOG.log(Level.WARNING, "%s; dropped", e.getMessage());
        }
    }

    /** Resets the function, then marks it as a guest's, so that no hot reset for another function of its group hits it. */
    @Override
    public synchronized Optional<String> resetForGuest() {
        VfioDevice device = handle.device();
        VfioReset reset;
        try {
            reset = device.reset();
        } catch (NativeCallFailed e) {
            throw new InputError(handle.address() + ": the reset before attach failed: " + e.getMessage());
        }
        device.withGuest(true);
        forGuest = true;
        return Optional.of(reset.said());
    }

    /** The guest's function-level reset, through the reset {@link VfioDevice#reset} finds. */
    @Override
    public Optional<String> resetFunction() {
        try {
            VfioReset reset = handle.device().reset();
            return reset.done() ? Optional.of(reset.detail()) : Optional.empty();
        } catch (NativeCallFailed e) {
            LOG.log(Level.WARNING, "%s: reset failed", e.getMessage());
            return Optional.empty();
        }
    }

    /** Interrupts off; a function readied for a guest is reset (a failed reset is said, not thrown); the device closed. */
    @Override
    public synchronized Optional<String> release() {
        for (HostInterrupts.Kind kind : HostInterrupts.Kind.values()) {
            interrupts.stop(kind);
        }
        Optional<String> said = Optional.empty();
        if (forGuest) {
            forGuest = false;
            VfioDevice device = handle.device();
            device.withGuest(false);
            try {
                said = Optional.of(device.reset().said());
            } catch (NativeCallFailed e) {
                said = Optional.of("reset failed: " + e.getMessage());
            }
        }
        handle.release();
        return said;
    }
}
