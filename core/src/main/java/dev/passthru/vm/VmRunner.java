package dev.passthru.vm;

import dev.passthru.InputError;
import dev.passthru.spec.SpecParser;

import java.util.List;

/**
 * Runs a VM config on the simulated machine: reads the host functions, plugs each spec's
 * functions into a slot of the guest's bus (functions of one host device share a slot), lets
 * the built-in guest boot and enumerate the bus, then carries out run-time actions in order:
 * {@code plug:SPEC} hot-plugs (the guest enumerates the new slot), {@code unplug:SLOT}
 * hot-unplugs. A function that cannot be attached is reported with its reason; the others go on.
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
            } else {
                vm.unplug((Integer) action);
            }
        }
        return vm.report();
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
        throw new InputError("bad action '" + action + "': expected plug:SPEC or unplug:SLOT");
    }
}
