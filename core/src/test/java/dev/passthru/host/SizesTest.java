package dev.passthru.host;

import dev.passthru.SyntaxError;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SizesTest {

    @Test
    void formats_like_lspci() {
        assertThat(Sizes.format(32)).isEqualTo("32");
        assertThat(Sizes.format(4096)).isEqualTo("4K");
        assertThat(Sizes.format(512 * 1024)).isEqualTo("512K");
        assertThat(Sizes.format(128L << 30)).isEqualTo("128G");
        assertThat(Sizes.format(3 * 1024 + 1)).isEqualTo("3073");
    }

    @Test
    void parses_units_and_hex() {
        assertThat(Sizes.parse("16M")).isEqualTo(16L << 20);
        assertThat(Sizes.parse("128GiB")).isEqualTo(128L << 30);
        assertThat(Sizes.parse("4k")).isEqualTo(4096);
        assertThat(Sizes.parse("0x1000")).isEqualTo(4096);
        assertThat(Sizes.parse("256")).isEqualTo(256);
    }

    @Test
    void refuses_what_is_not_a_size() {
        assertThatThrownBy(() -> Sizes.parse("16Q")).isInstanceOf(SyntaxError.class)
                .hasMessageContaining("column 3: expected a unit K, M, G, T, P or E");
        assertThatThrownBy(() -> Sizes.parse("big")).hasMessageContaining("column 1: expected a size");
        assertThatThrownBy(() -> Sizes.parse("9E")).hasMessageContaining("below 2^63");
        assertThatThrownBy(() -> Sizes.parse("0xfffffffffffffffff")).hasMessageContaining("below 2^63");
    }
}
