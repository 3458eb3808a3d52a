package dev.passthru.config;

import dev.passthru.spec.SpecOptions;

/**
 * How a function's config space is mediated.
 *
 * @param permissive      guest writes to reserved bits of mediated registers reach the host
 *                        (xl's permissive=1); protected bits never do
 * @param powerManagement the guest programs the host's D0-D3hot state (xl's power_mgmt=1)
 * @param policy          which capabilities the guest sees
 */
public record ConfigOptions(boolean permissive, boolean powerManagement, CapabilityPolicy policy) {

    public static final ConfigOptions DEFAULT = new ConfigOptions(false, false, CapabilityPolicy.DEFAULT);

    public static ConfigOptions from(SpecOptions spec) {
        return new ConfigOptions(spec.effectivePermissive(), spec.effectivePowerMgmt(), CapabilityPolicy.DEFAULT);
    }

    public ConfigOptions withPermissive(boolean value) {
        return new ConfigOptions(value, powerManagement, policy);
    }
}
