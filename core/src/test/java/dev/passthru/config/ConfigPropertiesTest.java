package dev.passthru.config;

import dev.passthru.host.BarKind;
import dev.passthru.host.HostBar;
import dev.passthru.host.MemoryHostConfig;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

import java.util.List;

import static dev.passthru.pci.CapabilityIds.PCI_CAP_ID_MSI;
import static dev.passthru.pci.CapabilityIds.PCI_CAP_ID_MSIX;
import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Properties of the register algebra over every real function in shared/fixtures, after random
 * guest writes of any width at any offset.
 */
class ConfigPropertiesTest {

    record Access(int offset, int width, int value) {
    }

    record Built(FixtureFunctions.Entry entry, MemoryHostConfig host, VirtualConfigSpace view) {
    }

    private static Built build(int index, boolean permissive) {
        FixtureFunctions.Entry entry = FixtureFunctions.all().get(index);
        MemoryHostConfig host = MemoryHostConfig.of(entry.function().config());
        return new Built(entry, host,
                VirtualConfigSpace.create(host, entry.bars(), ConfigOptions.DEFAULT.withPermissive(permissive)));
    }

    @Provide
    Arbitrary<Integer> functions() {
        return Arbitraries.integers().between(0, FixtureFunctions.all().size() - 1);
    }

    @Provide
    Arbitrary<Access> accesses() {
        Arbitrary<Integer> offsets = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.integers().between(0, 0xff)),
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(0x100, 0xfff)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(-8, 0x1010)));
        Arbitrary<Integer> widths = Arbitraries.frequency(
                net.jqwik.api.Tuple.of(4, 4), net.jqwik.api.Tuple.of(3, 2), net.jqwik.api.Tuple.of(3, 1),
                net.jqwik.api.Tuple.of(1, 3), net.jqwik.api.Tuple.of(1, 8));
        Arbitrary<Integer> values = Arbitraries.oneOf(Arbitraries.integers(),
                Arbitraries.of(0, -1, 0xffff, 0xff, 0x80000000, 0x7));
        return Combinators.combine(offsets, widths, values).as(Access::new);
    }

    @Property(tries = 400)
    void guest_writes_never_change_identity_hidden_capabilities_or_protected_host_bits(
            @ForAll("functions") int index,
            @ForAll boolean permissive,
            @ForAll @Size(max = 300) List<@From("accesses") Access> writes) {
        Built b = build(index, permissive);
        VirtualConfigSpace view = b.view();
        byte[] hostBefore = b.host().snapshot();
        int[] identity = identityOffsets(view);
        int[] identityBefore = new int[identity.length];
        for (int i = 0; i < identity.length; i++) {
            identityBefore[i] = view.read(identity[i], 1);
        }

        for (Access w : writes) {
            view.write(w.offset(), w.width(), w.value());
            view.read(w.offset(), w.width());
        }

        for (int i = 0; i < identity.length; i++) {
            assertThat(view.read(identity[i], 1)).as("identity byte 0x%02x", identity[i]).isEqualTo(identityBefore[i]);
        }
        for (GuestCapability cap : view.capabilities()) {
            if (!cap.kept()) {
                int from = cap.host().offset() == PCI_CFG_SPACE_SIZE ? PCI_CFG_SPACE_SIZE + 4 : cap.host().offset();
                for (int at = from; at < cap.host().offset() + cap.length(); at++) {
                    assertThat(view.read(at, 1)).as("hidden %s byte 0x%03x", cap.host(), at).isZero();
                }
            }
        }
        byte[] hostAfter = b.host().snapshot();
        byte[] forwarded = view.layout().forwarded;
        for (int at = 0; at < view.size(); at++) {
            assertThat((hostAfter[at] ^ hostBefore[at]) & ~forwarded[at] & 0xff)
                    .as("protected host bits at 0x%03x", at).isZero();
        }
        assertNamedProtections(view, hostBefore, hostAfter);
    }

    /** Protections named by rule, independent of the compiled masks. */
    private static void assertNamedProtections(VirtualConfigSpace view, byte[] before, byte[] after) {
        int protectedCommand = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_SERR | PCI_COMMAND_PARITY
                | PCI_COMMAND_INTX_DISABLE | PCI_COMMAND_FAST_BACK;
        assertThat(word(after, PCI_COMMAND) & protectedCommand).as("host decode/SERR/parity (XSA-120, XSA-126)")
                .isEqualTo(word(before, PCI_COMMAND) & protectedCommand);
        int barEnd = view.headerType() == PCI_HEADER_TYPE_NORMAL ? PCI_CARDBUS_CIS : PCI_PRIMARY_BUS;
        for (int at = PCI_BASE_ADDRESS_0; at < barEnd; at++) {
            assertThat(after[at]).as("host BAR byte 0x%02x", at).isEqualTo(before[at]);
        }
        int rom = view.headerType() == PCI_HEADER_TYPE_BRIDGE ? PCI_ROM_ADDRESS1 : PCI_ROM_ADDRESS;
        for (int at = rom; at < rom + 4; at++) {
            assertThat(after[at]).as("host ROM byte 0x%02x", at).isEqualTo(before[at]);
        }
        for (GuestCapability cap : view.capabilities()) {
            if (cap.kept() && !cap.host().extended() && cap.host().id() == PCI_CAP_ID_MSI) {
                int end = cap.host().offset() + cap.length();
                int pending = (word(before, cap.host().offset() + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_MASKBIT) != 0 ? end - 4 : end;
                for (int at = cap.host().offset(); at < pending; at++) {
                    assertThat(after[at]).as("host MSI byte 0x%02x (XSA-128, XSA-129)", at).isEqualTo(before[at]);
                }
            }
            if (cap.kept() && !cap.host().extended() && cap.host().id() == PCI_CAP_ID_MSIX) {
                int control = cap.host().offset() + PCI_MSIX_FLAGS;
                assertThat(word(after, control)).as("host MSI-X control").isEqualTo(word(before, control));
            }
        }
    }

    private static int[] identityOffsets(VirtualConfigSpace view) {
        return view.headerType() == PCI_HEADER_TYPE_NORMAL
                ? new int[] {0, 1, 2, 3, 8, 9, 10, 11, 0x2c, 0x2d, 0x2e, 0x2f, 0x3d}
                : new int[] {0, 1, 2, 3, 8, 9, 10, 11, 0x3d};
    }

    private static int word(byte[] bytes, int at) {
        return (bytes[at] & 0xff) | (bytes[at + 1] & 0xff) << 8;
    }

    @Property(tries = 400)
    void the_sizing_probe_of_every_bar_answers_its_size_whatever_was_written_before(
            @ForAll("functions") int index,
            @ForAll @Size(max = 100) List<@From("accesses") Access> writes) {
        VirtualConfigSpace view = build(index, false).view();
        writes.forEach(w -> view.write(w.offset(), w.width(), w.value()));
        for (HostBar bar : view.bars().bars()) {
            int low = PCI_BASE_ADDRESS_0 + 4 * bar.index();
            view.write(low, 4, -1);
            long probe = view.read(low, 4) & 0xffff_ffffL;
            if (bar.kind() == BarKind.MEM64) {
                view.write(low + 4, 4, -1);
                probe |= (view.read(low + 4, 4) & 0xffff_ffffL) << 32;
            } else {
                probe |= 0xffff_ffff_0000_0000L;
            }
            long typeMask = bar.kind() == BarKind.IO ? 0x3 : 0xf;
            assertThat(-(probe & ~typeMask)).as("size of BAR %d", bar.index()).isEqualTo(bar.size());
            assertThat((int) (probe & typeMask)).as("type bits of BAR %d", bar.index()).isEqualTo(bar.typeBits());
        }
        if (view.bars().hasRom()) {
            int rom = view.headerType() == PCI_HEADER_TYPE_BRIDGE ? PCI_ROM_ADDRESS1 : PCI_ROM_ADDRESS;
            view.write(rom, 4, PCI_ROM_ADDRESS_MASK);
            long probe = view.read(rom, 4) | 0xffff_ffff_0000_0000L;
            assertThat(-(probe & PCI_ROM_ADDRESS_MASK)).isEqualTo(view.bars().romSize());
        }
    }

    @Property(tries = 2000)
    void a_read_after_a_write_returns_what_the_register_s_masks_say(
            @ForAll("functions") int index,
            @ForAll boolean permissive,
            @ForAll @Size(max = 20) List<@From("accesses") Access> before,
            @ForAll int row,
            @ForAll int value) {
        Built b = build(index, permissive);
        VirtualConfigSpace view = b.view();
        before.forEach(w -> view.write(w.offset(), w.width(), w.value()));
        List<Register> rows = view.registers();
        Register r = rows.get(Math.floorMod(row, rows.size()));
        int at = r.offset();
        int width = r.size();
        int mask = (int) ((1L << (8 * width)) - 1);
        int v = value & mask;
        int old = view.read(at, width);
        int hostOld = b.host().read(at, width);

        view.write(at, width, v);

        int emulated = r.emulated();
        int writable = r.guestWritable();
        int forwarded = r.forwardedBits() | (permissive ? r.reservedBits() : 0);
        int expected = (((old & ~writable) | (v & writable)) & ~(v & r.virtualW1cBits()) & emulated)
                | (v & forwarded & ~emulated)
                | (hostOld & ~forwarded & ~emulated);
        assertThat(view.read(at, width)).as("%s after writing 0x%x", r, v).isEqualTo(expected & mask);
    }
}
