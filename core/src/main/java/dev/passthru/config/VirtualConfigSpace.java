package dev.passthru.config;

import dev.passthru.host.BarKind;
import dev.passthru.host.BarLayout;
import dev.passthru.host.HostBar;
import dev.passthru.host.HostConfig;
import dev.passthru.log.RateLimitedLog;

import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static dev.passthru.pci.PciRegs.*;

/**
 * What a guest sees when it reads and writes the config space of a host function. Built from
 * the host's config space and BAR list; every access is answered by the compiled register
 * tables: a read merges the virtual copy with the host's bits, a write updates the virtual copy,
 * forwards what may reach the host, and returns a change set (see {@link ConfigChanges}) that
 * tells the layer above which of the state it reads here (BAR addresses, decode, interrupt
 * registers) to reconcile. Nothing here calls a hypervisor.
 *
 * <p>No guest access throws and none allocates: an access of a bad width or past the config
 * space reads all-ones and drops writes, and is counted and logged at a limited rate. One
 * instance serves one function and is not thread-safe: the device serializes its accesses.
 */
public final class VirtualConfigSpace {

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final HostConfig host;
    private final ConfigLayout layout;
    private final ConfigOptions options;
    private final byte[] virt;
    private final RateLimitedLog log;
    private long outOfRange;
    private long badWidth;
    private long reservedWrites;
    /** Counts changes of the virtual copy, so that a caller can tell that there is a new image to keep. */
    private long version;

    private VirtualConfigSpace(HostConfig host, ConfigLayout layout, ConfigOptions options, RateLimitedLog log) {
        this.host = host;
        this.layout = layout;
        this.options = options;
        this.virt = layout.initial.clone();
        this.log = log;
    }

    /**
     * The guest's view of a host function, in the state a reset leaves it: decode off, BARs
     * and ROM at 0, MSI and MSI-X off.
     *
     * @throws dev.passthru.InputError when fewer than 64 bytes of the host's config space can be read
     */
    public static VirtualConfigSpace create(HostConfig host, BarLayout bars, ConfigOptions options) {
        return create(host, bars, options, RateLimitedLog.of(VirtualConfigSpace.class.getName()));
    }

    public static VirtualConfigSpace create(HostConfig host, BarLayout bars, ConfigOptions options,
                                            RateLimitedLog log) {
        return new VirtualConfigSpace(host, LayoutCompiler.compile(host, bars, options), options, log);
    }

    /**
     * The virtual copy as it is now: what a restarted device model needs to show the guest the
     * same registers (the host's bits are read from the host as ever).
     */
    public byte[] image() {
        return virt.clone();
    }

    /**
     * Puts back a virtual copy from {@link #image} of the same function's layout; nothing reaches
     * the host and no hook fires, since the host and the hypervisor already hold what it says.
     *
     * @throws IllegalArgumentException when the image is not of this layout's size
     */
    public void restore(byte[] image) {
        if (image.length != virt.length) {
            throw new IllegalArgumentException("a config image of " + image.length + " bytes, for a layout of " + virt.length);
        }
        System.arraycopy(image, 0, virt, 0, virt.length);
        version++;
    }

    /** Grows whenever the virtual copy changes. */
    public long version() {
        return version;
    }

    /** Config space size: 256, or 4096 for PCI Express. */
    public int size() {
        return layout.size;
    }

    /** Reads {@code width} bytes at {@code offset} as the guest sees them. */
    public int read(int offset, int width) {
        if (!inside(offset, width)) {
            return readOutside(offset, width);
        }
        int mask = widthMask(width);
        int emulated = (int) INT.get(layout.emulated, offset) & mask;
        int value = (int) INT.get(virt, offset) & emulated;
        if (emulated != mask) {
            value |= host.read(offset, width) & mask & ~emulated;
        }
        return value;
    }

    /**
     * Writes {@code width} bytes at {@code offset} as the guest. Virtual bits take what the
     * guest may write; forwarded bits reach the host in the narrowest access that holds them.
     *
     * @return the change set: which BARs moved, whether decode, ROM, INTx, MSI or MSI-X changed,
     *         whether a reset was asked for
     */
    public int write(int offset, int width, int value) {
        if (!inside(offset, width)) {
            return writeOutside(offset, width, value);
        }
        int mask = widthMask(width);
        value &= mask;
        int writable = (int) INT.get(layout.guestWritable, offset) & mask;
        int clearable = (int) INT.get(layout.virtualW1c, offset) & mask;
        int old = (int) INT.get(virt, offset);
        int updated = ((old & ~writable) | (value & writable)) & ~(value & clearable);
        if (updated != old) {
            INT.set(virt, offset, updated);
            version++;
        }
        int changes = ConfigChanges.NONE;
        int hooks = (int) INT.get(layout.hookCode, offset) & mask;
        if (hooks != 0) {
            changes = fireHooks(offset, width, hooks, old ^ updated, value);
        }
        int forwarded = (int) INT.get(layout.forwarded, offset) & mask;
        if (forwarded != 0) {
            forward(offset, width, value, forwarded);
        }
        int reserved = (int) INT.get(layout.reserved, offset) & mask & ~forwarded;
        if ((value & reserved) != 0) {
            reservedWrites++;
            log.log(Level.DEBUG, "guest wrote reserved bits 0x%x at 0x%03x/%d; dropped", value & reserved, offset, width);
        }
        return changes;
    }

    private int fireHooks(int offset, int width, int hooks, int diff, int value) {
        int changes = ConfigChanges.NONE;
        for (int i = 0; i < width; i++) {
            int code = (hooks >>> (8 * i)) & 0xff;
            if (code != 0) {
                Hook hook = Hook.ofCode(code);
                int seen = ((hook.trigger() ? value : diff) >>> (8 * i)) & 0xff;
                if (hook.onEveryWrite() || (seen & layout.hookBits[offset + i]) != 0) {
                    changes |= hook.change();
                }
            }
        }
        return changes;
    }

    /**
     * Sends the forwarded bits to the host. Bytes without forwarded bits are left out; where a
     * host register is only partly forwarded, its other bits are written back as the host has
     * them, except write-1-to-clear bits, which are written as 0 so that nothing is cleared.
     */
    private void forward(int offset, int width, int value, int forwarded) {
        boolean aligned = (offset & (width - 1)) == 0;
        if (aligned && forwarded == widthMask(width)) {
            host.write(offset, width, value);
            return;
        }
        int first = Integer.numberOfTrailingZeros(forwarded) >>> 3;
        int last = (31 - Integer.numberOfLeadingZeros(forwarded)) >>> 3;
        int at = offset + first;
        if (first == last) {
            forwardPart(offset, at, 1, value, forwarded);
        } else if (last == first + 1 && (at & 1) == 0) {
            forwardPart(offset, at, 2, value, forwarded);
        } else if (aligned) {
            forwardPart(offset, offset, width, value, forwarded);
        } else {
            for (int i = first; i <= last; i++) {
                if (((forwarded >>> (8 * i)) & 0xff) != 0) {
                    forwardPart(offset, offset + i, 1, value, forwarded);
                }
            }
        }
    }

    private void forwardPart(int offset, int at, int width, int value, int forwarded) {
        int shift = 8 * (at - offset);
        int mask = widthMask(width);
        int bits = (forwarded >>> shift) & mask;
        int data = (value >>> shift) & mask;
        if (bits != mask) {
            int keep = host.read(at, width) & ~bits & ~((int) INT.get(layout.hostW1c, at) & mask);
            data = (data & bits) | keep;
        }
        host.write(at, width, data & mask);
    }

    private int readOutside(int offset, int width) {
        if (!validWidth(width)) {
            badWidth++;
            log.log(Level.WARNING, "guest read of width %d at 0x%x answered all-ones", width, offset);
            return -1;
        }
        outOfRange++;
        log.log(Level.WARNING, "guest read at 0x%x/%d past config space (%d bytes) answered all-ones",
                offset, width, layout.size);
        int value = 0;
        for (int i = 0; i < width; i++) {
            long at = (long) offset + i;
            int b = at >= 0 && at < layout.size ? read((int) at, 1) : 0xff;
            value |= b << (8 * i);
        }
        return value;
    }

    private int writeOutside(int offset, int width, int value) {
        if (!validWidth(width)) {
            badWidth++;
            log.log(Level.WARNING, "guest write of width %d at 0x%x dropped", width, offset);
            return ConfigChanges.NONE;
        }
        outOfRange++;
        log.log(Level.WARNING, "guest write at 0x%x/%d past config space (%d bytes) dropped there",
                offset, width, layout.size);
        int changes = ConfigChanges.NONE;
        for (int i = 0; i < width; i++) {
            long at = (long) offset + i;
            if (at >= 0 && at < layout.size) {
                changes |= write((int) at, 1, value >>> (8 * i));
            }
        }
        return changes;
    }

    private boolean inside(int offset, int width) {
        return validWidth(width) && offset >= 0 && offset <= layout.size - width;
    }

    private static boolean validWidth(int width) {
        return width == 1 || width == 2 || width == 4;
    }

    private static int widthMask(int width) {
        return (int) ((1L << (width << 3)) - 1);
    }

    /**
     * Puts every virtual register back as a reset leaves it. The host is not touched: resetting
     * the host function is the layer above's job.
     *
     * @return the change set between the state before and after
     */
    public int reset() {
        int changes = ConfigChanges.NONE;
        for (int at = 0; at < layout.size; at++) {
            int code = layout.hookCode[at];
            if (code != 0) {
                Hook hook = Hook.ofCode(code);
                if (!hook.trigger() && ((virt[at] ^ layout.initial[at]) & layout.hookBits[at]) != 0) {
                    changes |= hook.change();
                }
            }
        }
        System.arraycopy(layout.initial, 0, virt, 0, virt.length);
        version++;
        return changes;
    }

    /** The guest's MSI state; disabled, with no vectors, where the function has no MSI kept. */
    public MsiState msi() {
        int at = layout.msi;
        if (at == 0) {
            return MsiState.NONE;
        }
        int flags = read(at + PCI_MSI_FLAGS, 2);
        boolean wide = (flags & PCI_MSI_FLAGS_64BIT) != 0;
        long address = read(at + PCI_MSI_ADDRESS_LO, 4) & 0xffff_ffffL;
        if (wide) {
            address |= (long) read(at + PCI_MSI_ADDRESS_HI, 4) << 32;
        }
        int data = read(at + (wide ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32), 2);
        int mask = (flags & PCI_MSI_FLAGS_MASKBIT) != 0 ? read(at + (wide ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32), 4) : 0;
        int vectors = 1 << ((flags & PCI_MSI_FLAGS_QSIZE) >>> 4);
        return new MsiState((flags & PCI_MSI_FLAGS_ENABLE) != 0, vectors, address, data, mask);
    }

    /** Offset of the kept MSI-X capability, 0 where there is none. */
    public int msixCapability() {
        return layout.msix;
    }

    /** The power state the host function is in (D0-D3hot as 0-3); -1 where the guest sees no power-management capability. */
    public int hostPowerState() {
        return layout.powerManagement == 0 ? -1 : host.read(layout.powerManagement + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK;
    }

    /** Where the power-management capability is, 0 when the guest sees none. */
    public int powerManagementCapability() {
        return layout.powerManagement;
    }

    public boolean msixEnabled() {
        return layout.msix != 0 && (read(layout.msix + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE) != 0;
    }

    public boolean msixFunctionMasked() {
        return layout.msix != 0 && (read(layout.msix + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_MASKALL) != 0;
    }

    /** The address the guest put in the BAR that starts at register {@code index}. */
    public long barAddress(int index) {
        HostBar bar = index >= 0 && index < layout.barAtRegister.length ? layout.barAtRegister[index] : null;
        if (bar == null) {
            throw new IllegalArgumentException("BAR " + index + " is not implemented");
        }
        int offset = PCI_BASE_ADDRESS_0 + 4 * index;
        long low = (int) INT.get(virt, offset) & 0xffff_ffffL;
        long address = low & (bar.kind() == BarKind.IO ? PCI_BASE_ADDRESS_IO_MASK : PCI_BASE_ADDRESS_MEM_MASK) & 0xffff_ffffL;
        if (bar.kind() == BarKind.MEM64) {
            address |= ((int) INT.get(virt, offset + 4) & 0xffff_ffffL) << 32;
        }
        return address;
    }

    public long romAddress() {
        return (int) INT.get(virt, romOffset()) & PCI_ROM_ADDRESS_MASK & 0xffff_ffffL;
    }

    public boolean romEnabled() {
        return ((int) INT.get(virt, romOffset()) & PCI_ROM_ADDRESS_ENABLE) != 0;
    }

    private int romOffset() {
        return layout.headerType == PCI_HEADER_TYPE_BRIDGE ? PCI_ROM_ADDRESS1 : PCI_ROM_ADDRESS;
    }

    public boolean memoryDecode() {
        return (virt[PCI_COMMAND] & PCI_COMMAND_MEMORY) != 0;
    }

    public boolean ioDecode() {
        return (virt[PCI_COMMAND] & PCI_COMMAND_IO) != 0;
    }

    public boolean intxDisabled() {
        return (virt[PCI_COMMAND + 1] & (PCI_COMMAND_INTX_DISABLE >>> 8)) != 0;
    }

    /**
     * Sets the multi-function bit of the header type, which is the bus's to decide: function 0
     * of a slot that holds several functions has it.
     */
    public void setMultiFunction(boolean multiFunction) {
        byte bit = (byte) PCI_HEADER_TYPE_MFD;
        byte value = multiFunction ? (byte) (layout.initial[PCI_HEADER_TYPE] | bit) : (byte) (layout.initial[PCI_HEADER_TYPE] & ~bit);
        layout.initial[PCI_HEADER_TYPE] = value;
        virt[PCI_HEADER_TYPE] = value;
    }

    /** The first {@code length} bytes as the guest reads them, for dumps. */
    public byte[] guestBytes(int length) {
        byte[] out = new byte[length];
        for (int at = 0; at < length; at += 4) {
            int value = read(at, 4);
            for (int i = 0; i < 4 && at + i < length; i++) {
                out[at + i] = (byte) (value >>> (8 * i));
            }
        }
        return out;
    }

    public HostConfig host() {
        return host;
    }

    public BarLayout bars() {
        return layout.bars;
    }

    public ConfigOptions options() {
        return options;
    }

    /** The host's header type, without the multi-function bit. */
    public int headerType() {
        return layout.headerType;
    }

    /** Every host capability, kept or hidden, conventional list first. */
    public List<GuestCapability> capabilities() {
        return layout.capabilities;
    }

    /** The register table rows in force, in the order they were placed. */
    public List<Register> registers() {
        return layout.registers;
    }

    /** What was wrong with the host's config space, if anything, and how it was handled. */
    public List<String> problems() {
        return layout.problems;
    }

    /** The compiled tables, for tests in this package. */
    ConfigLayout layout() {
        return layout;
    }

    public AccessCounters counters() {
        return new AccessCounters(outOfRange, badWidth, reservedWrites);
    }
}
