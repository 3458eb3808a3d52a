package dev.passthru.device;

import dev.passthru.config.ConfigOptions;
import dev.passthru.host.HostFunction;
import dev.passthru.pci.PciAddress;

/**
 * What to attach where.
 *
 * @param domain    the guest's domain
 * @param guest     the function's address on the guest's bus
 * @param function  the host function
 * @param options   xl's per-device options (permissive, power management, capability policy)
 * @param placement where firmware puts it at plug time ({@link Placement#NONE}: left to the guest)
 * @param hostInterrupts who turns the host function's interrupt enables on and off, where the
 *                  hypervisor leaves that to the device model (Xen)
 */
public record AttachRequest(int domain, PciAddress guest, HostFunction function, ConfigOptions options,
                            Placement placement, HostInterruptControl hostInterrupts) {

    /** A request on a hypervisor that programs the host function's interrupts itself, or needs none. */
    public AttachRequest(int domain, PciAddress guest, HostFunction function, ConfigOptions options, Placement placement) {
        this(domain, guest, function, options, placement, HostInterruptControl.NONE);
    }
}
