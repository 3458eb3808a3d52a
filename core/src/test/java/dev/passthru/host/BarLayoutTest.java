package dev.passthru.host;

import dev.passthru.InputError;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BarLayoutTest {

    @Test
    void bars_are_kept_in_index_order() {
        BarLayout layout = new BarLayout(List.of(
                new HostBar(2, BarKind.MEM64, true, 1L << 30),
                new HostBar(0, BarKind.IO, false, 32)), 0);
        assertThat(layout.bars()).extracting(HostBar::index).containsExactly(0, 2);
        assertThat(layout.bar(2)).isPresent();
        assertThat(layout.bar(3)).isEmpty();
    }

    @Test
    void a_64bit_bar_takes_two_registers() {
        assertThatThrownBy(() -> new BarLayout(List.of(
                new HostBar(0, BarKind.MEM64, false, 4096),
                new HostBar(1, BarKind.MEM32, false, 4096)), 0))
                .isInstanceOf(InputError.class)
                .hasMessage("BAR 1: register 1 is already taken by another BAR");
        assertThatThrownBy(() -> new BarLayout(List.of(new HostBar(5, BarKind.MEM64, false, 4096)), 0))
                .hasMessageContaining("cannot start at index 5");
    }

    @Test
    void sizes_must_be_powers_of_two_in_range() {
        assertThatThrownBy(() -> new BarLayout(List.of(new HostBar(0, BarKind.MEM32, false, 3000)), 0))
                .hasMessage("BAR 0: size 3000 is not a power of two from 16 to 2G");
        assertThatThrownBy(() -> new BarLayout(List.of(new HostBar(0, BarKind.MEM32, false, 4L << 30)), 0))
                .hasMessageContaining("from 16 to 2G");
        assertThatThrownBy(() -> new BarLayout(List.of(new HostBar(0, BarKind.IO, false, 1L << 17)), 0))
                .hasMessageContaining("from 4 to 64K");
        assertThatThrownBy(() -> new BarLayout(List.of(), 1024))
                .hasMessageContaining("expansion ROM: size 1K is not a power of two from 2K to 2G");
    }

    @Test
    void io_bars_are_not_prefetchable() {
        assertThatThrownBy(() -> new BarLayout(List.of(new HostBar(0, BarKind.IO, true, 32)), 0))
                .hasMessage("BAR 0: an I/O BAR cannot be prefetchable");
    }

    @Test
    void type_bits_follow_the_kind() {
        assertThat(new HostBar(0, BarKind.IO, false, 32).typeBits()).isEqualTo(0x1);
        assertThat(new HostBar(0, BarKind.MEM32, true, 4096).typeBits()).isEqualTo(0x8);
        assertThat(new HostBar(0, BarKind.MEM64, true, 4096).typeBits()).isEqualTo(0xc);
        assertThat(new HostBar(0, BarKind.MEM64, false, 4096).typeBits()).isEqualTo(0x4);
    }
}
