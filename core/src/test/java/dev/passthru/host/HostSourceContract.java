package dev.passthru.host;

import dev.passthru.InputError;
import dev.passthru.pci.ConfigHeader;
import dev.passthru.pci.PciAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every {@link HostSource} and the {@link HostConfig} and {@link BarMemory} of its functions
 * must do, whatever they read: sysfs, a profile, a dump, VFIO. One subclass per implementation
 * says where its functions come from and what its writes do; the cases are the same for all.
 * Every case scans afresh and gives back what the scan opened (VFIO devices) when it ends.
 */
public abstract class HostSourceContract {

    /** What a write to a function's config space does in this source. */
    public enum ConfigWrites {
        /** Nothing: the source does not write (sysfs without writes enabled). */
        DROPPED,
        /** Every byte written reads back (a file, plain memory). */
        STORED,
        /** As hardware: writable bits take the write, identity registers keep their values, BARs answer sizing probes. */
        HARDWARE
    }

    /**
     * Another source holding some of the same functions, and whether their whole config spaces
     * must agree (two recordings of one function) or only their identity (VFIO virtualizes some
     * registers that sysfs reads from the device).
     */
    public record Twin(HostSource source, boolean wholeConfig) {
    }

    private static final PciAddress ABSENT = PciAddress.parse("ffff:ff:1f.7");

    private final List<Inventory> scanned = new ArrayList<>();
    private final Origin origin;
    private final ConfigWrites writes;

    /** A run on a source whose functions come from {@code origin} and whose config writes do {@code writes}. */
    protected HostSourceContract(Origin origin, ConfigWrites writes) {
        this.origin = origin;
        this.writes = writes;
    }

    protected abstract HostSource source();

    protected abstract Twin twin();

    /** The problem lines a scan of this source reports; none, unless the subclass's fixture has some. */
    protected List<String> expectedProblems() {
        return List.of();
    }

    private Inventory scan(HostSource source) {
        Inventory inventory = source.scan();
        scanned.add(inventory);
        return inventory;
    }

    private Inventory inventory() {
        Inventory inventory = scan(source());
        assertThat(inventory.functions()).as("functions of %s", inventory.source()).isNotEmpty();
        return inventory;
    }

    @AfterEach
    void releaseWhatTheScansOpened() {
        scanned.forEach(i -> i.functions().forEach(f -> f.config().release()));
    }

    @Test
    void lists_each_function_once_in_address_order_with_the_sources_origin() {
        Inventory inventory = inventory();
        List<PciAddress> addresses = inventory.functions().stream().map(HostFunction::address).toList();
        assertThat(addresses).doesNotHaveDuplicates().isSorted();
        assertThat(inventory.functions()).allSatisfy(f -> assertThat(f.origin()).isEqualTo(origin));
        assertThat(inventory.problems()).isEqualTo(expectedProblems());
    }

    @Test
    void finds_every_listed_function_by_its_address_and_refuses_an_unknown_one_in_one_line() {
        Inventory inventory = inventory();
        for (HostFunction f : inventory.functions()) {
            assertThat(inventory.find(f.address())).containsSame(f);
            assertThat(inventory.require(f.address())).isSameAs(f);
        }
        assertThat(inventory.find(ABSENT)).isEmpty();
        assertThatThrownBy(() -> inventory.require(ABSENT)).isInstanceOf(InputError.class)
                .hasMessageStartingWith("no function " + ABSENT + " in " + inventory.source())
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void the_header_and_sizes_are_what_config_space_says() {
        for (HostFunction f : inventory().functions()) {
            HostConfig config = f.config();
            assertThat(config.size()).as("%s size", f.address()).isIn(PCI_CFG_SPACE_SIZE, PCI_CFG_SPACE_EXP_SIZE);
            assertThat(config.readable()).as("%s readable", f.address()).isBetween(PCI_STD_HEADER_SIZEOF, config.size());
            assertThat(f.header()).as("%s header", f.address()).isEqualTo(ConfigHeader.of(config.snapshot(PCI_STD_HEADER_SIZEOF)));
            assertThat(config.snapshot(2 * PCI_CFG_SPACE_EXP_SIZE)).as("a snapshot stops at the size").hasSize(config.size());
        }
    }

    @Test
    void reads_of_every_width_at_every_offset_agree_with_the_snapshot_and_all_ones_past_what_is_readable() {
        for (HostFunction f : inventory().functions()) {
            HostConfig config = f.config();
            byte[] bytes = config.snapshot(config.size());
            for (int at = config.readable(); at < bytes.length; at++) {
                assertThat(bytes[at]).as("%s byte 0x%x past the readable %d", f.address(), at, config.readable())
                        .isEqualTo((byte) 0xff);
            }
            for (int width : new int[] {1, 2, 4}) {
                for (int at = 0; at + width <= config.size(); at++) {
                    int read = config.read(at, width);
                    if (at + width <= config.readable() || at >= config.readable()) {
                        assertThat(read).as("%s read of %d at 0x%x", f.address(), width, at).isEqualTo(littleEndian(bytes, at, width));
                    }
                }
            }
        }
    }

    @Test
    void accesses_past_the_end_of_config_space_answer_all_ones_or_are_dropped_and_never_throw() {
        for (HostFunction f : inventory().functions()) {
            HostConfig config = f.config();
            byte[] before = config.snapshot(config.size());
            for (int at : new int[] {config.size() - 3, config.size() - 1, config.size(), config.size() + 1, 0xffff, 0x7fff_fff0}) {
                for (int width : new int[] {1, 2, 4}) {
                    if (at + width > config.size()) {
                        assertThat(config.read(at, width)).as("%s read of %d at 0x%x", f.address(), width, at)
                                .isEqualTo(allOnes(width));
                        config.write(at, width, 0);
                    }
                }
            }
            assertThat(config.snapshot(config.size())).as("%s after writes past its end", f.address()).isEqualTo(before);
        }
    }

    @Test
    void writes_do_what_the_source_says_and_identity_registers_never_change_on_hardware() {
        for (HostFunction f : inventory().functions()) {
            HostConfig config = f.config();
            int line = config.read(PCI_INTERRUPT_LINE, 1);
            int ids = config.read(PCI_VENDOR_ID, 4);
            byte[] before = config.snapshot(config.size());
            config.write(PCI_INTERRUPT_LINE, 1, line ^ 0x5a);
            switch (writes) {
                case DROPPED -> assertThat(config.snapshot(config.size())).as("%s", f.address()).isEqualTo(before);
                case STORED, HARDWARE -> assertThat(config.read(PCI_INTERRUPT_LINE, 1))
                        .as("%s interrupt line, a register every function implements", f.address()).isEqualTo(line ^ 0x5a);
            }
            config.write(PCI_INTERRUPT_LINE, 1, line);
            assertThat(config.read(PCI_INTERRUPT_LINE, 1)).as("%s interrupt line put back", f.address()).isEqualTo(line);
            if (writes == ConfigWrites.HARDWARE) {
                config.write(PCI_VENDOR_ID, 4, ~ids);
                assertThat(config.read(PCI_VENDOR_ID, 4)).as("%s IDs are read-only", f.address()).isEqualTo(ids);
            }
        }
    }

    @Test
    void the_bar_layout_agrees_with_the_bar_registers() {
        for (HostFunction f : inventory().functions()) {
            HostConfig config = f.config();
            int count = barCount(f.header());
            boolean[] covered = new boolean[count];
            for (HostBar bar : f.bars().bars()) {
                String name = f.address() + " BAR " + bar.index();
                assertThat(bar.index() + bar.kind().slots()).as("%s fits the header", name).isLessThanOrEqualTo(count);
                int register = config.read(PCI_BASE_ADDRESS_0 + 4 * bar.index(), 4);
                assertThat(register & typeBitsMask(bar.kind())).as("%s type bits of 0x%08x", name, register).isEqualTo(bar.typeBits());
                if (bar.address() != 0) {
                    assertThat(registerAddress(config, bar.index(), bar.kind())).as("%s address", name).isEqualTo(bar.address());
                    assertThat(bar.address() % bar.size()).as("%s aligned to its size", name).isZero();
                }
                cover(covered, bar.index(), bar.kind());
            }
            for (UnsizedBar bar : f.unsized()) {
                if (bar.index() != UnsizedBar.ROM) {
                    assertThat(registerAddress(config, bar.index(), bar.kind())).as("%s unsized BAR %d", f.address(), bar.index())
                            .isEqualTo(bar.address());
                    cover(covered, bar.index(), bar.kind());
                }
            }
            for (int index = 0; index < count; index++) {
                int register = config.read(PCI_BASE_ADDRESS_0 + 4 * index, 4);
                int address = register & ((register & PCI_BASE_ADDRESS_SPACE_IO) != 0 ? PCI_BASE_ADDRESS_IO_MASK : PCI_BASE_ADDRESS_MEM_MASK);
                assertThat(covered[index] || address == 0)
                        .as("%s BAR %d holds 0x%08x but is neither in the layout nor unsized", f.address(), index, register).isTrue();
            }
            if (f.bars().hasRom() && f.bars().romAddress() != 0) {
                int rom = config.read(count == PCI_BRIDGE_NUM_BARS ? PCI_ROM_ADDRESS1 : PCI_ROM_ADDRESS, 4);
                assertThat(rom & PCI_ROM_ADDRESS_MASK & 0xffff_ffffL).as("%s ROM address", f.address()).isEqualTo(f.bars().romAddress());
            }
        }
    }

    @Test
    void a_sizing_probe_answers_as_the_sources_writes_do_and_the_register_is_put_back() {
        for (HostFunction f : inventory().functions()) {
            HostConfig config = f.config();
            for (HostBar bar : f.bars().bars()) {
                String name = f.address() + " BAR " + bar.index();
                int at = PCI_BASE_ADDRESS_0 + 4 * bar.index();
                int low = config.read(at, 4);
                int high = config.read(at + 4, 4);
                config.write(at, 4, -1);
                if (bar.kind() == BarKind.MEM64) {
                    config.write(at + 4, 4, -1);
                }
                long probed = switch (bar.kind()) {
                    // x86 decodes 16 bits of I/O address; a BAR may implement the upper bits or not.
                    case IO -> config.read(at, 4) & 0xffff & PCI_BASE_ADDRESS_IO_MASK;
                    case MEM32 -> config.read(at, 4) & PCI_BASE_ADDRESS_MEM_MASK & 0xffff_ffffL;
                    case MEM64 -> config.read(at, 4) & PCI_BASE_ADDRESS_MEM_MASK & 0xffff_ffffL | (long) config.read(at + 4, 4) << 32;
                };
                long expected = switch (bar.kind()) {
                    case IO -> -bar.size() & 0xffff;
                    case MEM32 -> -bar.size() & 0xffff_ffffL;
                    case MEM64 -> -bar.size();
                };
                switch (writes) {
                    case HARDWARE -> {
                        assertThat(probed).as("%s probe of a %s %s BAR", name, Sizes.format(bar.size()), bar.describe()).isEqualTo(expected);
                        assertThat(config.read(at, 1) & typeBitsMask(bar.kind())).as("%s type bits under the probe", name)
                                .isEqualTo(bar.typeBits());
                    }
                    case DROPPED -> assertThat(config.read(at, 4)).as("%s probe dropped", name).isEqualTo(low);
                    case STORED -> assertThat(config.read(at, 4)).as("%s probe stored", name).isEqualTo(-1);
                }
                config.write(at, 4, low);
                if (bar.kind() == BarKind.MEM64) {
                    config.write(at + 4, 4, high);
                }
                assertThat(config.read(at, 4)).as("%s put back", name).isEqualTo(low);
                assertThat(config.read(at + 4, 4)).as("%s register after it put back", name).isEqualTo(high);
            }
        }
    }

    @Test
    void bar_memory_answers_all_ones_outside_the_bars_and_never_throws() {
        for (HostFunction f : inventory().functions()) {
            BarMemory memory = f.memory();
            for (int index = 0; index <= BarMemory.ROM; index++) {
                int bar = index;
                long size = index == BarMemory.ROM ? f.bars().romSize()
                        : f.bars().bar(index).map(HostBar::size).orElse(0L);
                for (int width : new int[] {1, 2, 4, 8}) {
                    long ones = width == 8 ? -1L : (1L << (8 * width)) - 1;
                    assertThat(memory.read(bar, size, width)).as("%s BAR %d at its size 0x%x", f.address(), bar, size).isEqualTo(ones);
                    assertThat(memory.read(bar, Long.MAX_VALUE - 8, width)).isEqualTo(ones);
                    memory.write(bar, size, width, 0);
                }
            }
        }
    }

    @Test
    void agrees_with_the_same_functions_read_through_another_source() {
        Inventory ours = inventory();
        Twin twin = twin();
        Inventory theirs = scan(twin.source());
        int common = 0;
        for (HostFunction f : ours.functions()) {
            Optional<HostFunction> other = theirs.find(f.address());
            if (other.isEmpty()) {
                continue;
            }
            common++;
            HostFunction g = other.get();
            assertThat(g.header()).as("%s header in %s", f.address(), theirs.source()).isEqualTo(f.header());
            assertThat(g.bars()).as("%s BARs in %s", f.address(), theirs.source()).isEqualTo(f.bars());
            if (twin.wholeConfig()) {
                int both = Math.min(f.config().readable(), g.config().readable());
                assertThat(g.config().snapshot(both)).as("%s config in %s", f.address(), theirs.source())
                        .isEqualTo(f.config().snapshot(both));
            }
        }
        assertThat(common).as("functions both in %s and %s", ours.source(), theirs.source()).isPositive();
    }

    private static int barCount(ConfigHeader header) {
        return switch (header.headerType()) {
            case PCI_HEADER_TYPE_NORMAL -> PCI_STD_NUM_BARS;
            case PCI_HEADER_TYPE_BRIDGE -> PCI_BRIDGE_NUM_BARS;
            default -> 0;
        };
    }

    private static int typeBitsMask(BarKind kind) {
        return kind == BarKind.IO ? ~PCI_BASE_ADDRESS_IO_MASK : ~PCI_BASE_ADDRESS_MEM_MASK;
    }

    private static void cover(boolean[] covered, int index, BarKind kind) {
        for (int i = index; i < Math.min(covered.length, index + kind.slots()); i++) {
            covered[i] = true;
        }
    }

    private static long registerAddress(HostConfig config, int index, BarKind kind) {
        int low = config.read(PCI_BASE_ADDRESS_0 + 4 * index, 4);
        return switch (kind) {
            case IO -> low & PCI_BASE_ADDRESS_IO_MASK & 0xffff_ffffL;
            case MEM32 -> low & PCI_BASE_ADDRESS_MEM_MASK & 0xffff_ffffL;
            case MEM64 -> (low & PCI_BASE_ADDRESS_MEM_MASK & 0xffff_ffffL)
                    | (long) config.read(PCI_BASE_ADDRESS_0 + 4 * index + 4, 4) << 32;
        };
    }

    private static int littleEndian(byte[] bytes, int at, int width) {
        int value = 0;
        for (int i = 0; i < width; i++) {
            value |= (bytes[at + i] & 0xff) << (8 * i);
        }
        return value;
    }

    private static int allOnes(int width) {
        return width == 4 ? -1 : (1 << (8 * width)) - 1;
    }
}
