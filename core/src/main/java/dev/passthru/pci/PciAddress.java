package dev.passthru.pci;

import dev.passthru.SyntaxError;
import dev.passthru.TextCursor;

/**
 * The address of a PCI function: domain (segment) 0000-ffff, bus 00-ff, device 00-1f,
 * function 0-7. Canonical text form {@code DDDD:BB:DD.F}; {@code BB:DD.F} means domain 0.
 */
public record PciAddress(int domain, int bus, int device, int function) implements Comparable<PciAddress> {

    public static final int MAX_DOMAIN = 0xffff;
    public static final int MAX_BUS = 0xff;
    public static final int MAX_DEVICE = 0x1f;
    public static final int MAX_FUNCTION = 0x7;

    public PciAddress {
        check("domain", domain, MAX_DOMAIN);
        check("bus", bus, MAX_BUS);
        check("device", device, MAX_DEVICE);
        check("function", function, MAX_FUNCTION);
    }

    private static void check(String what, int value, int max) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException(
                    "PCI " + what + " " + value + " out of range 0-" + Integer.toHexString(max));
        }
    }

    public static PciAddress of(int domain, int bus, int device, int function) {
        return new PciAddress(domain, bus, device, function);
    }

    /** Parses {@code [DDDD:]BB:DD.F}; a bad address gets a {@link SyntaxError} with the column. */
    public static PciAddress parse(String text) {
        TextCursor cursor = new TextCursor(text);
        PciAddress address = read(cursor);
        cursor.expectEnd("the end of the address");
        return address;
    }

    /** Reads {@code [DDDD:]BB:DD.F} at the cursor. */
    public static PciAddress read(TextCursor cursor) {
        return readSelection(cursor, false).address();
    }

    /**
     * Reads {@code [DDDD:]BB:DD.F}, or with {@code allowWildcard} also {@code [DDDD:]BB:DD.*},
     * which gives function 0 and {@code allFunctions}.
     */
    public static Selection readSelection(TextCursor cursor, boolean allowWildcard) {
        int firstStart = cursor.position();
        int first = cursor.hex(4, MAX_DOMAIN, "a hex bus 00-ff or domain 0000-ffff");
        cursor.expect(':', "':' after the bus or domain");
        int secondStart = cursor.position();
        int second = cursor.hex(4, MAX_DOMAIN, "a hex bus 00-ff or device 00-1f");
        int domain = 0;
        int bus;
        int device;
        if (cursor.accept(':')) {
            domain = first;
            if (second > MAX_BUS) {
                throw cursor.errorAt(secondStart, "a hex bus 00-ff");
            }
            bus = second;
            device = cursor.hex(2, MAX_DEVICE, "a hex device 00-1f");
        } else {
            if (first > MAX_BUS) {
                throw cursor.errorAt(firstStart, "a hex bus 00-ff");
            }
            if (second > MAX_DEVICE) {
                throw cursor.errorAt(secondStart, "a hex device 00-1f");
            }
            bus = first;
            device = second;
        }
        cursor.expect('.', "'.' before the function number");
        if (allowWildcard && cursor.accept('*')) {
            return new Selection(new PciAddress(domain, bus, device, 0), true);
        }
        int function = cursor.hex(1, MAX_FUNCTION,
                allowWildcard ? "a function number 0-7 or '*'" : "a function number 0-7");
        return new Selection(new PciAddress(domain, bus, device, function), false);
    }

    /** An address as read from text, where {@code BB:DD.*} selects every function of a device. */
    public record Selection(PciAddress address, boolean allFunctions) {
    }

    /** The same device with another function number. */
    public PciAddress withFunction(int newFunction) {
        return new PciAddress(domain, bus, device, newFunction);
    }

    /** Device and function as one byte, as on the bus: device << 3 | function. */
    public int devfn() {
        return device << 3 | function;
    }

    /** The 16-bit routing ID: bus << 8 | devfn. */
    public int routingId() {
        return bus << 8 | devfn();
    }

    /** {@code BB:DD.F}, as lspci prints functions of domain 0. */
    public String shortForm() {
        return appendShort(new StringBuilder(7)).toString();
    }

    @Override
    public String toString() {
        return appendShort(Hex.append(new StringBuilder(12), domain, 4).append(':')).toString();
    }

    private StringBuilder appendShort(StringBuilder out) {
        Hex.append(out, bus, 2).append(':');
        return Hex.append(out, device, 2).append('.').append(Character.forDigit(function, 16));
    }

    /**
     * Written out rather than left to the record: the generated form is bound on first use
     * through method handles, which costs a short-lived command more than all its lookups.
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof PciAddress a && domain == a.domain && routingId() == a.routingId();
    }

    @Override
    public int hashCode() {
        return domain << 16 | routingId();
    }

    @Override
    public int compareTo(PciAddress o) {
        int c = Integer.compare(domain, o.domain);
        return c != 0 ? c : Integer.compare(routingId(), o.routingId());
    }
}
