package dev.passthru.control;

import dev.passthru.hypervisor.HypervisorState;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** How two hypervisor states differ: entries only in the first, entries only in the second. */
final class StateDiff {

    private StateDiff() {
    }

    /** {removed, remade}: what {@code held} has beyond {@code wanted}, and what it lacks of it. */
    static int[] count(HypervisorState held, HypervisorState wanted) {
        List<Object> a = flatten(held);
        List<Object> b = flatten(wanted);
        return new int[] {minus(a, b).size(), minus(b, a).size()};
    }

    /** What {@code a} holds that {@code b} does not, equal entries counted once. */
    private static Set<Object> minus(List<Object> a, List<Object> b) {
        Set<Object> out = new HashSet<>(a);
        b.forEach(out::remove);
        return out;
    }

    private static List<Object> flatten(HypervisorState state) {
        List<Object> all = new ArrayList<>();
        for (Map.Entry<String, Integer> owner : state.assigned().entrySet()) {
            all.add(owner);
        }
        for (HypervisorState.Domain d : state.domains()) {
            d.devices().forEach(x -> all.add(List.of(d.id(), x)));
            d.p2m().forEach(x -> all.add(List.of(d.id(), x)));
            d.ioPorts().forEach(x -> all.add(List.of(d.id(), x)));
            d.pirqs().forEach(x -> all.add(List.of(d.id(), x)));
            d.intx().forEach(x -> all.add(List.of(d.id(), x)));
            d.msi().forEach(x -> all.add(List.of(d.id(), x)));
        }
        return all;
    }
}
