package dev.passthru.cli;

import dev.passthru.InputError;
import dev.passthru.SyntaxError;
import dev.passthru.host.HostFunction;
import dev.passthru.host.Inventory;
import dev.passthru.pci.PciAddress;
import picocli.CommandLine.Model.CommandSpec;

/** The one host function a command works on, where it is read from, and the BAR sizes a dump lacks. */
final class OneFunctionOptions {

    private OneFunctionOptions() {
    }

    static void addTo(CommandSpec spec) {
        spec.addPositional(Specs.positional(0, "BDF", "The function: [DDDD:]BB:DD.F."));
        HostSourceOptions.addTo(spec);
        BarSizeOptions.addTo(spec);
    }

    /** The function and the inventory it was found in. */
    record Found(Inventory inventory, HostFunction function) {
    }

    /** Reads the source and finds the function; a bad address or a missing function is bad input. */
    static Found find(Args args) {
        PciAddress address;
        try {
            address = PciAddress.parse(args.positional(0));
        } catch (SyntaxError e) {
            throw new InputError("bad function " + e.getMessage());
        }
        Inventory inventory = HostSourceOptions.source(args, BarSizeOptions.bars(args), BarSizeOptions.rom(args)).scan();
        return new Found(inventory, inventory.require(address));
    }
}
