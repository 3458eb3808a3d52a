package dev.passthru.vm;

import dev.passthru.InputError;
import dev.passthru.spec.SpecParser;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code passthru run --then} asks of a running VM: {@code plug:SPEC},
 * {@code unplug:SLOT}, {@code poke:SLOT:BAR:OFFSET=VALUE} or {@code config:SLOT:OFF.W=VALUE}.
 */
sealed interface RunAction {

    /** Specs given as actions come after the config's in the report. */
    int ACTION_INDEX = 10_000;

    Pattern CONFIG = Pattern.compile("config:(\\w+):([0-9a-fA-F]+)\\.([bwl])=([0-9a-fA-F]+)");

    void applyTo(Vm vm);

    record Plug(VmConfig.Spec spec) implements RunAction {
        @Override
        public void applyTo(Vm vm) {
            vm.hotPlug(spec);
        }
    }

    record Unplug(int slot) implements RunAction {
        @Override
        public void applyTo(Vm vm) {
            vm.unplug(slot);
        }
    }

    record Poke(int slot, int bar, long offset, long value) implements RunAction {
        @Override
        public void applyTo(Vm vm) {
            vm.poke(slot, bar, offset, value);
        }
    }

    record ConfigWrite(int slot, int offset, int width, int value) implements RunAction {
        @Override
        public void applyTo(Vm vm) {
            vm.configWrite(slot, offset, width, value);
        }
    }

    /**
     * @param index the action's place among the --then actions, from 0
     * @throws InputError for text that is none of the four
     */
    static RunAction parse(String action, int index) {
        if (action.startsWith("plug:")) {
            String spec = action.substring("plug:".length());
            try {
                return new Plug(new VmConfig.Spec(SpecParser.parseXl(spec), action, 0, ACTION_INDEX + index));
            } catch (InputError e) {
                throw new InputError("bad action '" + action + "': bad PCI spec " + e.getMessage());
            }
        }
        if (action.startsWith("unplug:")) {
            try {
                return new Unplug(Integer.decode(action.substring("unplug:".length())));
            } catch (NumberFormatException e) {
                throw new InputError("bad action '" + action + "': expected a slot number such as unplug:6 or unplug:0x1f");
            }
        }
        if (action.startsWith("poke:")) {
            String[] parts = action.substring("poke:".length()).split("[:=]", -1);
            try {
                if (parts.length == 4) {
                    return new Poke(Integer.decode(parts[0]), Integer.decode(parts[1]), Long.decode(parts[2]),
                            Long.decode(parts[3]));
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new InputError("bad action '" + action + "': expected poke:SLOT:BAR:OFFSET=VALUE such as poke:6:0:0x60=1");
        }
        if (action.startsWith("config:")) {
            Matcher m = CONFIG.matcher(action);
            if (m.matches()) {
                try {
                    int width = switch (m.group(3)) {
                        case "b" -> 1;
                        case "w" -> 2;
                        default -> 4;
                    };
                    return new ConfigWrite(Integer.decode(m.group(1)), Integer.parseInt(m.group(2), 16), width,
                            (int) Long.parseLong(m.group(4), 16));
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
