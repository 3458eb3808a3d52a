package dev.passthru.host;

import dev.passthru.pci.ConfigHeader;
import dev.passthru.pci.PciAddress;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import static dev.passthru.pci.ConfigHeader.*;
import static dev.passthru.pci.PciRegs.PCI_HEADER_TYPE_BRIDGE;
import static dev.passthru.pci.PciRegs.PCI_HEADER_TYPE_NORMAL;

/**
 * Whether each function of an inventory may be given to a guest, and if not, why. A function is
 * assignable when it is not a bridge, every BAR has a known size, it is bound to no host driver
 * or to a pass-through stub (any driver, when the spec says {@code seize}), and it is isolated:
 * it has an IOMMU group (a recording counts as alone in its own) in which every other function
 * is assignable too or already handed over to a stub.
 */
public final class Assignability {

    /** The answer for one function: yes, or no and the reason. */
    public record Verdict(boolean assignable, String reason) {
        static final Verdict YES = new Verdict(true, "");

        static Verdict no(String reason) {
            return new Verdict(false, reason);
        }

        @Override
        public String toString() {
            return assignable ? "yes" : "no (" + reason + ")";
        }
    }

    private Assignability() {
    }

    /** Verdicts for every function of {@code inventory}, in its order. */
    public static Map<PciAddress, Verdict> judge(Inventory inventory, boolean seize) {
        Map<PciAddress, Verdict> alone = new HashMap<>();
        Map<String, List<HostFunction>> groups = new HashMap<>();
        for (HostFunction f : inventory.functions()) {
            alone.put(f.address(), byItself(f, seize));
            f.binding().iommuGroup().ifPresent(g -> groups.computeIfAbsent(g, k -> new ArrayList<>()).add(f));
        }
        Map<PciAddress, Verdict> verdicts = new LinkedHashMap<>();
        for (HostFunction f : inventory.functions()) {
            Verdict own = Objects.requireNonNull(alone.get(f.address()), "judged alone above");
            verdicts.put(f.address(), own.assignable() ? isolation(f, groups, alone) : own);
        }
        return verdicts;
    }

    /**
     * Verdicts where the hypervisor, not this kernel, owns the IOMMU (a Xen dom0 sees no IOMMU
     * groups): isolation is the hypervisor's to check when it assigns, so each function is judged
     * by itself.
     */
    public static Map<PciAddress, Verdict> judgeIsolatedByHypervisor(Inventory inventory, boolean seize) {
        Map<PciAddress, Verdict> verdicts = new LinkedHashMap<>();
        inventory.functions().forEach(f -> verdicts.put(f.address(), byItself(f, seize)));
        return verdicts;
    }

    /** Everything that can be said without looking at the function's group. */
    private static Verdict byItself(HostFunction f, boolean seize) {
        Optional<String> bridge = bridge(f.header());
        if (bridge.isPresent()) {
            return Verdict.no("it is " + bridge.get() + "; bridges stay with the host");
        }
        if (!f.unsized().isEmpty()) {
            return Verdict.no(f.unsized().getFirst().problem());
        }
        if (!seize && !f.binding().handedOver()) {
            return Verdict.no("bound to host driver " + f.binding().driver().orElseThrow()
                    + "; bind it to vfio-pci or pciback, or give seize=1");
        }
        return Verdict.YES;
    }

    private static Verdict isolation(HostFunction f, Map<String, List<HostFunction>> groups,
                                     Map<PciAddress, Verdict> alone) {
        if (f.binding().iommuGroup().isEmpty()) {
            return f.origin().recorded()
                    ? Verdict.YES
                    : Verdict.no("no IOMMU group: the host has no IOMMU, or it is off, so the function cannot be isolated");
        }
        String group = f.binding().iommuGroup().get();
        List<String> blockers = new ArrayList<>();
        for (HostFunction other : groups.getOrDefault(group, List.of())) {
            Verdict its = Objects.requireNonNull(alone.get(other.address()), "every function is judged alone first");
            if (!other.address().equals(f.address()) && !other.binding().handedOver() && !its.assignable()) {
                blockers.add(other.address() + " (" + its.reason() + ")");
            }
        }
        return blockers.isEmpty()
                ? Verdict.YES
                : Verdict.no("IOMMU group " + group + " also holds " + String.join(", ", blockers)
                        + ", which cannot be handed over with it");
    }

    /** "a host bridge", "a PCI bridge", ... for the functions the host needs for its own buses. */
    static Optional<String> bridge(ConfigHeader header) {
        if (header.headerType() == PCI_HEADER_TYPE_BRIDGE) {
            return Optional.of("a PCI bridge");
        }
        if (header.headerType() != PCI_HEADER_TYPE_NORMAL) {
            return Optional.of("a CardBus bridge");
        }
        return switch (header.deviceClass()) {
            case PCI_CLASS_BRIDGE_HOST -> Optional.of("a host bridge");
            case PCI_CLASS_BRIDGE_ISA -> Optional.of("an ISA bridge");
            case PCI_CLASS_BRIDGE_PCI, PCI_CLASS_BRIDGE_PCI_SEMI -> Optional.of("a PCI bridge");
            case PCI_CLASS_BRIDGE_CARDBUS -> Optional.of("a CardBus bridge");
            default -> Optional.empty();
        };
    }
}
