package dev.passthru.vm;

import dev.passthru.spec.AssignmentSpec;
import dev.passthru.spec.SpecOptions;

import java.util.List;

/**
 * What {@code passthru run} needs of an xl.cfg file.
 *
 * @param name          the VM's name
 * @param memoryMib     its RAM in MiB
 * @param pci           the assignment specs, in order, each with its line
 * @param defaults      xl's pci_permissive, pci_msitranslate, pci_seize and pci_power_mgmt:
 *                      what a spec that does not say takes
 * @param sources       where host functions come from
 * @param hypervisor    which hypervisor: "simulated", or "xen" (a domain of this name that xl created)
 * @param guest         who plays the guest: "built-in", or "vfio-user:DIR" (a VMM that connects to a socket per
 *                      function in DIR)
 * @param firstHotplug  first hot-plug slot
 * @param lastHotplug   last hot-plug slot
 * @param ignored       xl settings that passthru reads past (vcpus, disk, ...)
 */
public record VmConfig(String name, long memoryMib, List<Spec> pci, SpecOptions defaults, List<HostSourceSpec> sources,
                       String hypervisor, String guest, int firstHotplug, int lastHotplug, List<String> ignored) {

    /** A spec as the config gives it, with where: its line, and its place in the pci list (from 0). */
    public record Spec(AssignmentSpec spec, String text, int line, int index) {
    }
}
