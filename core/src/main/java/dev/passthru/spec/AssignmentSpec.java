package dev.passthru.spec;

import dev.passthru.pci.PciAddress;

/**
 * A request to give a host PCI function (or every function of a device) to a guest.
 *
 * @param address      the host function; function 0 when {@code allFunctions}
 * @param allFunctions {@code BB:DD.*}: every function of the device
 * @param vslot        the guest device number (virtual slot) asked for, 1-1f; 0 picks a free one
 * @param options      per-device options
 */
public record AssignmentSpec(PciAddress address, boolean allFunctions, int vslot, SpecOptions options) {

    public static final int AUTO_SLOT = 0;

    public AssignmentSpec {
        if (vslot < 0 || vslot > PciAddress.MAX_DEVICE) {
            throw new IllegalArgumentException("virtual slot " + vslot + " out of range 0-1f");
        }
        if (allFunctions && address.function() != 0) {
            throw new IllegalArgumentException("a spec for all functions names function 0");
        }
    }

    public boolean autoSlot() {
        return vslot == AUTO_SLOT;
    }

    /**
     * The canonical xl form: full domain, lower-case hex, {@code @VSLOT} as two hex digits when
     * a slot was asked for, then the options that were given, in xl's order. Parsing it gives
     * back an equal spec.
     */
    public String canonical() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%04x:%02x:%02x.", address.domain(), address.bus(), address.device()));
        sb.append(allFunctions ? "*" : Integer.toString(address.function()));
        if (!autoSlot()) {
            sb.append(String.format("@%02x", vslot));
        }
        for (String option : options.given()) {
            sb.append(',').append(option);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return canonical();
    }
}
