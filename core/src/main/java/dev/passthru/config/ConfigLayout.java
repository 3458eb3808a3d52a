package dev.passthru.config;

import dev.passthru.host.BarLayout;
import dev.passthru.host.HostBar;

import java.util.ArrayList;
import java.util.List;

/**
 * A function's register tables compiled into per-byte masks (the parallel-mask model): for each
 * byte, which bits read from the virtual copy, which the guest may write there, which of its
 * writes reach the host, and which hook a change fires. {@link LayoutCompiler} fills one in once
 * per function; guest accesses only read it.
 */
final class ConfigLayout {

    /** Config space size: 256 or 4096. */
    final int size;
    final int headerType;
    final BarLayout bars;
    /** The BAR that starts at each of the six BAR registers, null where none does: found on every BAR access, allocating nothing. */
    final HostBar[] barAtRegister = new HostBar[6];
    /** Each array has {@code size + 3} bytes so that a 4-byte view at any offset stays inside. */
    final byte[] emulated;
    final byte[] guestWritable;
    final byte[] virtualW1c;
    final byte[] forwarded;
    final byte[] hostW1c;
    final byte[] reserved;
    final byte[] hookCode;
    final byte[] hookBits;
    /** The virtual copy after reset. */
    final byte[] initial;
    final List<Register> registers = new ArrayList<>();
    final List<GuestCapability> capabilities = new ArrayList<>();
    final List<String> problems = new ArrayList<>();
    /** Offsets of the kept power-management, MSI, MSI-X and PCI Express capabilities, 0 where there is none. */
    int powerManagement;
    int msi;
    int msix;
    int express;

    ConfigLayout(int size, int headerType, BarLayout bars) {
        this.size = size;
        this.headerType = headerType;
        this.bars = bars;
        for (HostBar bar : bars.bars()) {
            barAtRegister[bar.index()] = bar;
        }
        this.emulated = new byte[size + 3];
        this.guestWritable = new byte[size + 3];
        this.virtualW1c = new byte[size + 3];
        this.forwarded = new byte[size + 3];
        this.hostW1c = new byte[size + 3];
        this.reserved = new byte[size + 3];
        this.hookCode = new byte[size + 3];
        this.hookBits = new byte[size + 3];
        this.initial = new byte[size + 3];
    }
}
