package dev.passthru.xen;

import dev.passthru.InputError;
import dev.passthru.bus.GuestBus;

import java.util.List;

/**
 * The slot table in xenstore, where and as the seed's device model wrote it for xend:
 * {@code /local/domain/0/backend/pci/DOMAIN/0/vslots}, one {@code 0xSLOT;} per function in the
 * order they were assigned, {@code 0x0;} for one placed in no hot-plug slot. No tool of Xen 4.17
 * reads it (libxl keeps its own {@code num_devs}, {@code dev-N} and {@code vdevfn-N} there and
 * asks QEMU for the slots); it is written for tools that followed xend's, and never libxl's keys,
 * which would make libxl undo passthru's work on {@code xl pci-detach} or {@code xl destroy}.
 */
public final class XenVslots {

    private XenVslots() {
    }

    /** The domain's PCI backend folder, where xl and the seed keep what a pass-through tool shares. */
    public static String backend(int domain) {
        return "/local/domain/0/backend/pci/" + domain;
    }

    /**
     * Writes the table and reads it back; the value xenstore holds.
     *
     * @throws InputError when libxl passes functions through to the domain itself (its
     *                    {@code num_devs} is there): two device models cannot share the bus
     */
    public static String publish(XenStore store, int domain, List<GuestBus.Vslot> table) {
        String dir = backend(domain) + "/0";
        if (store.read(dir + "/num_devs").isPresent()) {
            throw new InputError("domain " + domain + " has PCI functions passed through by xl itself (" + dir
                    + "/num_devs): give its functions to passthru only, not in the xl config's pci = [...]");
        }
        StringBuilder value = new StringBuilder();
        table.forEach(v -> value.append(String.format("0x%x;", v.slot())));
        store.write(dir + "/vslots", value.toString());
        return store.read(dir + "/vslots").orElse("");
    }

    /** Takes the table away, and the domain's backend folder with it where nothing else is left there. */
    public static void withdraw(XenStore store, int domain) {
        String dir = backend(domain) + "/0";
        store.remove(dir + "/vslots");
        if (store.directory(dir).isEmpty()) {
            store.remove(backend(domain));
        }
    }
}
