package dev.passthru.cli;

import dev.passthru.InputError;
import dev.passthru.SyntaxError;
import dev.passthru.host.HostFunction;
import dev.passthru.host.Inventory;
import dev.passthru.pci.PciAddress;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** The one host function a command works on, where it is read from, and the BAR sizes a dump lacks. */
final class OneFunctionOptions {

    @Parameters(paramLabel = "BDF", description = "The function: [DDDD:]BB:DD.F.")
    private String bdf;

    @Mixin
    private HostSourceOptions sources;

    @Mixin
    private BarSizeOptions sizes;

    /** The function and the inventory it was found in. */
    record Found(Inventory inventory, HostFunction function) {
    }

    /** Reads the source and finds the function; a bad address or a missing function is bad input. */
    Found find() {
        PciAddress address;
        try {
            address = PciAddress.parse(bdf);
        } catch (SyntaxError e) {
            throw new InputError("bad function " + e.getMessage());
        }
        Inventory inventory = sources.source(sizes.bars(), sizes.rom()).scan();
        HostFunction function = inventory.find(address).orElseThrow(() -> new InputError(
                "no function " + address + " in " + inventory.source()
                        + inventory.problems().stream().filter(p -> p.contains(address.toString()))
                        .findFirst().map(p -> " (" + p + ")").orElse("")));
        return new Found(inventory, function);
    }
}
