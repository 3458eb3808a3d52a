package dev.passthru.pci;

import dev.passthru.SyntaxError;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PciAddressTest {

    @Test
    void short_form_means_domain_zero() {
        assertThat(PciAddress.parse("03:00.1")).isEqualTo(PciAddress.of(0, 3, 0, 1));
    }

    @Test
    void full_form_keeps_the_domain() {
        assertThat(PciAddress.parse("0002:81:1f.7")).isEqualTo(PciAddress.of(2, 0x81, 0x1f, 7));
    }

    @Test
    void canonical_form_has_four_domain_digits_and_lower_case_hex() {
        assertThat(PciAddress.parse("AB:1F.3").toString()).isEqualTo("0000:ab:1f.3");
        assertThat(PciAddress.of(0xffff, 0xff, 0x1f, 7).toString()).isEqualTo("ffff:ff:1f.7");
    }

    @Test
    void short_form_is_what_lspci_prints() {
        assertThat(PciAddress.of(0, 6, 0, 1).shortForm()).isEqualTo("06:00.1");
    }

    @Test
    void device_above_1f_is_refused_at_its_column() {
        assertThatThrownBy(() -> PciAddress.parse("03:20.0"))
                .isInstanceOf(SyntaxError.class)
                .hasMessage("\"03:20.0\", column 4: expected a hex device 00-1f, found '2'");
    }

    @Test
    void function_above_7_is_refused_at_its_column() {
        assertThatThrownBy(() -> PciAddress.parse("0000:03:00.8"))
                .isInstanceOf(SyntaxError.class)
                .hasMessageContaining("column 12: expected a function number 0-7");
    }

    @Test
    void bus_above_ff_is_refused_where_the_bus_starts() {
        assertThatThrownBy(() -> PciAddress.parse("0000:100:00.0"))
                .isInstanceOf(SyntaxError.class)
                .hasMessageContaining("column 6: expected a hex bus 00-ff");
    }

    @Test
    void missing_function_is_reported_at_the_end() {
        assertThatThrownBy(() -> PciAddress.parse("03:00"))
                .isInstanceOf(SyntaxError.class)
                .hasMessage("\"03:00\", column 6: expected '.' before the function number, found the end");
    }

    @Test
    void trailing_text_is_refused() {
        assertThatThrownBy(() -> PciAddress.parse("03:00.0x"))
                .hasMessageContaining("column 8: expected the end of the address, found 'x'");
    }

    @Test
    void routing_id_packs_bus_device_and_function() {
        assertThat(PciAddress.of(0, 0x12, 0x1f, 7).routingId()).isEqualTo(0x12ff);
    }

    @Test
    void addresses_sort_by_domain_then_bus_device_function() {
        assertThat(PciAddress.of(1, 0, 0, 0)).isGreaterThan(PciAddress.of(0, 0xff, 0x1f, 7));
        assertThat(PciAddress.of(0, 1, 2, 3)).isLessThan(PciAddress.of(0, 1, 2, 4));
    }
}
