package dev.passthru.vm;

import dev.passthru.InputError;
import dev.passthru.host.Inventory;
import dev.passthru.os.ForeignUnixSockets;
import dev.passthru.os.UnixSockets;
import dev.passthru.qemu.QemuGuestSide;
import dev.passthru.qemu.QemuMachine;
import dev.passthru.vfio.ForeignVfioCalls;
import dev.passthru.vfiouser.VfioUserGuestSide;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Runs a VM config on the simulated machine: reads the host functions, plugs each spec's
 * functions into a slot of the guest's bus (functions of one host device share a slot), lets
 * the built-in guest boot and enumerate the bus, then carries out run-time actions in order:
 * {@code plug:SPEC} hot-plugs (the guest enumerates the new slot), {@code unplug:SLOT}
 * hot-unplugs, {@code poke:SLOT:BAR:OFFSET=VALUE} has the guest write a register (and notes
 * the interrupts that reach it), {@code config:SLOT:OFF.W=VALUE} has it write its config space
 * (hex offset, width b/w/l, hex value, as setpci takes them). A function that cannot be attached is reported with its reason; the others go on.
 */
public final class VmRunner {

    /** The domain id a VM run here gets, as the first guest of a Xen host would. */
    static final int DOMAIN = 1;

    private VmRunner() {
    }

    public static RunReport run(VmConfig config) {
        return run(config, List.of());
    }

    /**
     * @param actions {@code plug:SPEC} or {@code unplug:SLOT}, carried out after boot in order
     * @throws InputError for an action that is not one of those
     */
    public static RunReport run(VmConfig config, List<String> actions) {
        List<RunAction> parsed = new ArrayList<>();
        for (int i = 0; i < actions.size(); i++) {
            parsed.add(RunAction.parse(actions.get(i), i));
        }
        SimulatedMachine machine = new SimulatedMachine();
        Vm vm = new Vm(config, HostSources.read(config.sources()), machine.domain(DOMAIN, config.memoryMib()),
                guestSide(config, machine), Set.of());
        vm.coldPlug(config.pci());
        vm.boot();
        parsed.forEach(action -> action.applyTo(vm));
        return vm.report();
    }

    /**
     * Who plays the guest of a VM on the simulated machine, as its config says: the built-in
     * guest, or a vfio-user VMM served from the config's folder.
     */
    public static Vm.GuestSideFactory guestSide(VmConfig config, SimulatedMachine machine) {
        if (config.guest().startsWith("vfio-user:")) {
            Path folder = Path.of(config.guest().substring("vfio-user:".length()));
            return (bus, domain, highRamEnd) -> new VfioUserGuestSide(new ForeignUnixSockets(), new ForeignVfioCalls(), folder);
        }
        return machine.builtInGuest();
    }

    /** Root ports QEMU is given for slots at most: each costs the guest a bridge and a bus. */
    private static final int QEMU_PORTS = 8;

    /**
     * Runs the VM with a real guest under QEMU (see {@link QemuMachine}) on the console of this
     * terminal, until the guest powers off or {@code limit} passes; then takes every function
     * down. The hot-plug slots become the first eight of the config's range, one root port each.
     */
    public static RunReport runUnderQemu(VmConfig config, Path kernel, Path initrd, String append, Duration limit) {
        int last = Math.min(config.lastHotplug(), config.firstHotplug() + QEMU_PORTS - 1);
        VmConfig ported = new VmConfig(config.name(), config.memoryMib(), config.pci(), config.defaults(), config.sources(),
                config.hypervisor(), "qemu", config.firstHotplug(), last, config.ignored());
        List<Integer> ports = new ArrayList<>();
        for (int slot = ported.firstHotplug(); slot <= last; slot++) {
            ports.add(slot);
        }
        UnixSockets sockets = new ForeignUnixSockets();
        Inventory inventory = HostSources.read(config.sources());
        QemuMachine machine = QemuMachine.launch(sockets, new QemuMachine.Options(kernel, initrd, append,
                config.memoryMib(), ports, ProcessBuilder.Redirect.INHERIT));
        SimulatedMachine simulated = new SimulatedMachine();
        try (Vm vm = new Vm(ported, inventory, simulated.domain(DOMAIN, ported.memoryMib()),
                (bus, domain, highRamEnd) -> new QemuGuestSide(sockets, machine), Set.of())) {
            vm.coldPlug(ported.pci());
            if (QemuMachine.accelerator().equals("tcg")) {
                vm.note("QEMU runs under TCG: interrupts through x-pci-proxy-dev need KVM's irqfds, so none reach "
                        + "this guest (config and BAR accesses do)");
            }
            vm.boot();
            int status = machine.await(limit);
            RunReport report = vm.report();
            vm.detachAll(status == -1 ? "the guest ran past " + limit.toSeconds() + " s and was stopped"
                    : "the guest powered off (QEMU exit status " + status + ")");
            return report.withEvents(vm.events());
        }
    }
}
