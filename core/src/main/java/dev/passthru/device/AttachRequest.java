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
 */
public record AttachRequest(int domain, PciAddress guest, HostFunction function, ConfigOptions options,
                            Placement placement) {
}
