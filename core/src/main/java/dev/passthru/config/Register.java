package dev.passthru.config;

import java.util.ArrayList;
import java.util.List;

/**
 * One row of a register table: a register of 1, 2 or 4 bytes and what happens to each of its
 * bits. Every bit has exactly one treatment:
 * <ul>
 *   <li>virtual: the guest reads and writes a copy kept here; the host never sees it;</li>
 *   <li>virtual read-only: the guest reads a copy kept here and cannot change it;</li>
 *   <li>virtual write-1-to-clear: a copy kept here that a 1 written clears;</li>
 *   <li>forwarded: the guest reads the host's bit and its writes reach the host;</li>
 *   <li>forwarded write-1-to-clear: as forwarded, for a host bit that a 1 written clears;</li>
 *   <li>host read-only: the guest reads the host's bit; writes are dropped;</li>
 *   <li>reserved (every bit not named): read from the host; writes reach the host only in
 *       permissive mode.</li>
 * </ul>
 * Virtual bits start as {@link #initValue()} or, with {@link #fromHost()}, as the host's bits.
 * A hook names a change the layer above must hear about when given bits change (or, for a
 * trigger such as function-level reset, when a 1 is written to them).
 */
public final class Register {

    private final String name;
    private final int offset;
    private final int size;
    private final int virtualRw;
    private final int virtualRo;
    private final int virtualW1c;
    private final int forwarded;
    private final int forwardedW1c;
    private final int hostRo;
    private final boolean fromHost;
    private final int initValue;
    private final List<HookBits> hooks;

    /** A hook and the bits of the register that fire it. */
    public record HookBits(Hook hook, int bits) {
    }

    private Register(String name, int offset, int size, int virtualRw, int virtualRo, int virtualW1c,
                     int forwarded, int forwardedW1c, int hostRo, boolean fromHost, int initValue,
                     List<HookBits> hooks) {
        this.name = name;
        this.offset = offset;
        this.size = size;
        this.virtualRw = virtualRw;
        this.virtualRo = virtualRo;
        this.virtualW1c = virtualW1c;
        this.forwarded = forwarded;
        this.forwardedW1c = forwardedW1c;
        this.hostRo = hostRo;
        this.fromHost = fromHost;
        this.initValue = initValue;
        this.hooks = hooks;
    }

    /** A register whose bits are all reserved until a treatment is given. */
    public static Register at(int offset, int size, String name) {
        if (size != 1 && size != 2 && size != 4) {
            throw new IllegalArgumentException(name + ": a register is 1, 2 or 4 bytes, not " + size);
        }
        return new Register(name, offset, size, 0, 0, 0, 0, 0, 0, false, 0, List.of());
    }

    public Register virtual(int bits) {
        return with(virtualRw | bits, virtualRo, virtualW1c, forwarded, forwardedW1c, hostRo, bits);
    }

    public Register virtualReadOnly(int bits) {
        return with(virtualRw, virtualRo | bits, virtualW1c, forwarded, forwardedW1c, hostRo, bits);
    }

    public Register virtualW1c(int bits) {
        return with(virtualRw, virtualRo, virtualW1c | bits, forwarded, forwardedW1c, hostRo, bits);
    }

    public Register forward(int bits) {
        return with(virtualRw, virtualRo, virtualW1c, forwarded | bits, forwardedW1c, hostRo, bits);
    }

    public Register forwardW1c(int bits) {
        return with(virtualRw, virtualRo, virtualW1c, forwarded, forwardedW1c | bits, hostRo, bits);
    }

    public Register hostReadOnly(int bits) {
        return with(virtualRw, virtualRo, virtualW1c, forwarded, forwardedW1c, hostRo | bits, bits);
    }

    /** Virtual bits start as the host's bits rather than {@link #initValue()}. */
    public Register fromHost() {
        return new Register(name, offset, size, virtualRw, virtualRo, virtualW1c, forwarded, forwardedW1c,
                hostRo, true, initValue, hooks);
    }

    /** The value virtual bits start with (bits outside the virtual ones are ignored). */
    public Register init(int value) {
        return new Register(name, offset, size, virtualRw, virtualRo, virtualW1c, forwarded, forwardedW1c,
                hostRo, false, value, hooks);
    }

    /** Fires {@code hook} when any of {@code bits} changes (or, for a trigger hook, is written as 1). */
    public Register hook(Hook hook, int bits) {
        checkBits(bits);
        List<HookBits> more = new ArrayList<>(hooks);
        more.add(new HookBits(hook, bits));
        return new Register(name, offset, size, virtualRw, virtualRo, virtualW1c, forwarded, forwardedW1c,
                hostRo, fromHost, initValue, List.copyOf(more));
    }

    /** The same register {@code base} bytes further on: tables of capabilities are written from 0. */
    public Register relocate(int base) {
        return new Register(name, offset + base, size, virtualRw, virtualRo, virtualW1c, forwarded, forwardedW1c,
                hostRo, fromHost, initValue, hooks);
    }

    private Register with(int vRw, int vRo, int vW1c, int fwd, int fwdW1c, int hRo, int added) {
        checkBits(added);
        int[] masks = {vRw, vRo, vW1c, fwd, fwdW1c, hRo};
        int seen = 0;
        for (int mask : masks) {
            if ((seen & mask) != 0) {
                throw new IllegalArgumentException(String.format(
                        "%s: bits 0x%x are given two treatments", name, seen & mask));
            }
            seen |= mask;
        }
        return new Register(name, offset, size, vRw, vRo, vW1c, fwd, fwdW1c, hRo, fromHost, initValue, hooks);
    }

    private void checkBits(int bits) {
        if (size < 4 && (bits >>> (size * 8)) != 0) {
            throw new IllegalArgumentException(String.format(
                    "%s: bits 0x%x do not fit a %d-byte register", name, bits, size));
        }
    }

    public String name() {
        return name;
    }

    public int offset() {
        return offset;
    }

    public int size() {
        return size;
    }

    /** Bits read from the copy kept here. */
    public int emulated() {
        return virtualRw | virtualRo | virtualW1c;
    }

    /** Virtual bits the guest may write. */
    public int guestWritable() {
        return virtualRw;
    }

    public int virtualW1cBits() {
        return virtualW1c;
    }

    /** Host bits the guest's writes reach, write-1-to-clear ones included. */
    public int forwardedBits() {
        return forwarded | forwardedW1c;
    }

    /** Host bits that a 1 written clears; never written back as 1 by a read-modify-write. */
    public int hostW1cBits() {
        return forwardedW1c;
    }

    public int hostReadOnlyBits() {
        return hostRo;
    }

    /** Bits no treatment names. */
    public int reservedBits() {
        int all = size == 4 ? -1 : (1 << (size * 8)) - 1;
        return all & ~(emulated() | forwardedBits() | hostRo);
    }

    public boolean initFromHost() {
        return fromHost;
    }

    public int initValue() {
        return initValue;
    }

    public List<HookBits> hooks() {
        return hooks;
    }

    @Override
    public String toString() {
        return String.format("%s @0x%03x/%d", name, offset, size);
    }
}
