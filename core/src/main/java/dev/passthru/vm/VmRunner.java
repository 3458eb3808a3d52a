package dev.passthru.vm;

import dev.passthru.InputError;
import dev.passthru.host.Inventory;
import dev.passthru.os.ForeignUnixSockets;
import dev.passthru.os.UnixSockets;
import dev.passthru.qemu.QemuGuestSide;
import dev.passthru.qemu.QemuMachine;
import dev.passthru.spec.SpecParser;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

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

    /** Specs given as actions come after the config's in the report. */
    private static final int ACTION_INDEX = 10_000;

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
        for (String action : actions) {
            parse(action, 0);
        }
        SimulatedVm vm = new SimulatedVm(config, HostSources.read(config.sources()));
        vm.coldPlug(config.pci());
        vm.boot();
        for (int i = 0; i < actions.size(); i++) {
            Object action = parse(actions.get(i), i);
            if (action instanceof VmConfig.Spec spec) {
                vm.hotPlug(spec);
            } else if (action instanceof long[] poke && poke.length == 4) {
                vm.poke((int) poke[0], (int) poke[1], poke[2], poke[3]);
            } else if (action instanceof int[] write) {
                vm.configWrite(write[0], write[1], write[2], write[3]);
            } else {
                vm.unplug((Integer) action);
            }
        }
        return vm.report();
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
                config.hypervisor(), config.firstHotplug(), last, config.ignored());
        List<Integer> ports = new ArrayList<>();
        for (int slot = ported.firstHotplug(); slot <= last; slot++) {
            ports.add(slot);
        }
        UnixSockets sockets = new ForeignUnixSockets();
        Inventory inventory = HostSources.read(config.sources());
        QemuMachine machine = QemuMachine.launch(sockets, new QemuMachine.Options(kernel, initrd, append,
                config.memoryMib(), ports, ProcessBuilder.Redirect.INHERIT));
        try (SimulatedVm vm = new SimulatedVm(ported, inventory, (bus, hypervisor, domain, highRamEnd)
                -> new QemuGuestSide(sockets, machine))) {
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

    /** A spec to plug or a slot number to unplug. */
    private static Object parse(String action, int index) {
        if (action.startsWith("plug:")) {
            String spec = action.substring("plug:".length());
            try {
                return new VmConfig.Spec(SpecParser.parseXl(spec), action, 0, ACTION_INDEX + index);
            } catch (InputError e) {
                throw new InputError("bad action '" + action + "': bad PCI spec " + e.getMessage());
            }
        }
        if (action.startsWith("unplug:")) {
            try {
                return Integer.decode(action.substring("unplug:".length()));
            } catch (NumberFormatException e) {
                throw new InputError("bad action '" + action + "': expected a slot number such as unplug:6 or unplug:0x1f");
            }
        }
        if (action.startsWith("poke:")) {
            String[] parts = action.substring("poke:".length()).split("[:=]");
            try {
                if (parts.length == 4) {
                    return new long[] {Long.decode(parts[0]), Long.decode(parts[1]), Long.decode(parts[2]), Long.decode(parts[3])};
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new InputError("bad action '" + action + "': expected poke:SLOT:BAR:OFFSET=VALUE such as poke:6:0:0x60=1");
        }
        if (action.startsWith("config:")) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("config:(\\w+):([0-9a-fA-F]+)\\.([bwl])=([0-9a-fA-F]+)")
                    .matcher(action);
            if (m.matches()) {
                try {
                    int width = switch (m.group(3)) {
                        case "b" -> 1;
                        case "w" -> 2;
                        default -> 4;
                    };
                    return new int[] {Integer.decode(m.group(1)), Integer.parseInt(m.group(2), 16), width,
                            (int) Long.parseLong(m.group(4), 16)};
                } catch (NumberFormatException e) {
                    // reported below
                }
            }
            throw new InputError("bad action '" + action + "': expected config:SLOT:OFF.W=VALUE such as config:6:42.w=0");
        }
        throw new InputError("bad action '" + action + "': expected plug:SPEC, unplug:SLOT, poke:SLOT:BAR:OFFSET=VALUE "
                + "or config:SLOT:OFF.W=VALUE");
    }
}
