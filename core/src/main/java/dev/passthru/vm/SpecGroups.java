package dev.passthru.vm;

import java.util.Objects;
import dev.passthru.host.HostFunction;
import dev.passthru.host.Inventory;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.AssignmentSpec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which host functions each spec names, gathered by host device: the functions of one device
 * share a slot on the guest's bus, in function order, in the slot the first spec that names
 * one asks for.
 */
final class SpecGroups {

    /** A host device's functions that specs ask for, and the slot asked for (0: any). */
    record Group(List<HostFunction> functions, List<VmConfig.Spec> specs, int slot) {
    }

    private SpecGroups() {
    }

    /** The groups, in the order first asked for; a spec naming nothing on the host becomes a failure. */
    static List<Group> of(List<VmConfig.Spec> specs, Inventory inventory, List<GuestFunctionReport> failures) {
        Map<String, List<HostFunction>> functions = new LinkedHashMap<>();
        Map<String, List<VmConfig.Spec>> askedBy = new LinkedHashMap<>();
        Map<String, Integer> slots = new LinkedHashMap<>();
        for (VmConfig.Spec spec : specs) {
            AssignmentSpec s = spec.spec();
            List<HostFunction> matched = s.allFunctions()
                    ? inventory.functions().stream().filter(f -> sameDevice(f.address(), s.address())).toList()
                    : inventory.find(s.address()).map(List::of).orElse(List.of());
            if (matched.isEmpty()) {
                failures.add(GuestFunctionReport.failed(s.address(), spec,
                        "not among the host functions read (" + inventory.source() + ")"));
                continue;
            }
            String key = s.address().domain() + ":" + s.address().bus() + ":" + s.address().device();
            for (HostFunction f : matched) {
                if (!functions.getOrDefault(key, List.of()).contains(f)) {
                    functions.computeIfAbsent(key, k -> new ArrayList<>()).add(f);
                    askedBy.computeIfAbsent(key, k -> new ArrayList<>()).add(spec);
                }
            }
            if (!s.autoSlot()) {
                slots.putIfAbsent(key, s.vslot());
            }
        }
        List<Group> groups = new ArrayList<>();
        functions.forEach((key, list) -> {
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                order.add(i);
            }
            order.sort(Comparator.comparingInt(i -> list.get(i).address().function()));
            List<VmConfig.Spec> asking = Objects.requireNonNull(askedBy.get(key), "every device grouped was asked for");
            groups.add(new Group(order.stream().map(list::get).toList(), order.stream().map(asking::get).toList(),
                    slots.getOrDefault(key, 0)));
        });
        return groups;
    }

    private static boolean sameDevice(PciAddress a, PciAddress b) {
        return a.domain() == b.domain() && a.bus() == b.bus() && a.device() == b.device();
    }
}
