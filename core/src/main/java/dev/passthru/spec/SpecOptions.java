package dev.passthru.spec;

import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.List;

/**
 * The per-device options of an xl PCI_SPEC_STRING. Each is {@code null} when the spec did not
 * give it, so that a VM-wide default (xl.cfg's {@code pci_permissive}, ...) can apply; the
 * {@code effective...} accessors give xl's own defaults.
 *
 * @param permissive   let guest writes reach registers that are not mediated (reserved bits too)
 * @param msitranslate translate guest INTx to host MSI
 * @param seize        take the function from its host driver if it is not already a stub's
 * @param powerMgmt    let the guest program D0-D3hot power states
 * @param rdmPolicy    reserved-device-memory policy
 */
public record SpecOptions(@Nullable Boolean permissive, @Nullable Boolean msitranslate, @Nullable Boolean seize,
                          @Nullable Boolean powerMgmt, @Nullable RdmPolicy rdmPolicy) {

    public static final SpecOptions NONE = new SpecOptions(null, null, null, null, null);

    public boolean effectivePermissive() {
        return Boolean.TRUE.equals(permissive);
    }

    public boolean effectiveMsitranslate() {
        return Boolean.TRUE.equals(msitranslate);
    }

    public boolean effectiveSeize() {
        return Boolean.TRUE.equals(seize);
    }

    public boolean effectivePowerMgmt() {
        return Boolean.TRUE.equals(powerMgmt);
    }

    public RdmPolicy effectiveRdmPolicy() {
        return rdmPolicy != null ? rdmPolicy : RdmPolicy.RELAXED;
    }

    /** The options that were given, as {@code key=value} in xl's order. */
    public List<String> given() {
        List<String> out = new ArrayList<>(5);
        flag(out, "permissive", permissive);
        flag(out, "msitranslate", msitranslate);
        flag(out, "seize", seize);
        flag(out, "power_mgmt", powerMgmt);
        if (rdmPolicy != null) {
            out.add("rdm_policy=" + rdmPolicy.keyword());
        }
        return out;
    }

    private static void flag(List<String> out, String key, @Nullable Boolean value) {
        if (value != null) {
            out.add(key + "=" + (value ? 1 : 0));
        }
    }
}
