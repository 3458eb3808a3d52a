package dev.passthru.spec;

import dev.passthru.SyntaxError;
import dev.passthru.pci.PciAddress;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SpecParserTest {

    @Test
    void xl_spec_with_slot_and_options() {
        AssignmentSpec spec = SpecParser.parseXl("03:00.0@6,permissive=1,rdm_policy=strict");
        assertThat(spec.address()).isEqualTo(PciAddress.of(0, 3, 0, 0));
        assertThat(spec.vslot()).isEqualTo(6);
        assertThat(spec.options().permissive()).isTrue();
        assertThat(spec.options().effectiveRdmPolicy()).isEqualTo(RdmPolicy.STRICT);
        assertThat(spec.canonical()).isEqualTo("0000:03:00.0@06,permissive=1,rdm_policy=strict");
    }

    @Test
    void wildcard_selects_every_function() {
        AssignmentSpec spec = SpecParser.parseXl("0001:04:00.*,seize=1");
        assertThat(spec.allFunctions()).isTrue();
        assertThat(spec.canonical()).isEqualTo("0001:04:00.*,seize=1");
    }

    @Test
    void named_positionals_mean_the_same_as_positional_ones() {
        AssignmentSpec positional = SpecParser.parseXl("36:00.0@14,seize=1");
        assertThat(SpecParser.parseXl("36:00.0,vslot=14,seize=1")).isEqualTo(positional);
        assertThat(SpecParser.parseXl("bdf=36:00.0,vslot=14,seize=1")).isEqualTo(positional);
        assertThat(SpecParser.parseXl("36:00.0,14,seize=1")).isEqualTo(positional);
    }

    @Test
    void options_unset_keep_xl_defaults_and_stay_out_of_the_canonical_form() {
        AssignmentSpec spec = SpecParser.parseXl("03:00.0");
        assertThat(spec.options()).isEqualTo(SpecOptions.NONE);
        assertThat(spec.options().effectivePermissive()).isFalse();
        assertThat(spec.options().effectiveRdmPolicy()).isEqualTo(RdmPolicy.RELAXED);
        assertThat(spec.canonical()).isEqualTo("0000:03:00.0");
    }

    @Test
    void an_empty_value_means_the_default() {
        assertThat(SpecParser.parseXl("03:00.0,permissive=").options().permissive()).isNull();
    }

    @Test
    void booleans_take_the_usual_spellings() {
        assertThat(SpecParser.parseXl("03:00.0,msitranslate=yes,power_mgmt=off").options())
                .isEqualTo(new SpecOptions(null, true, null, false, null));
    }

    @Test
    void slot_zero_means_any_free_slot() {
        assertThat(SpecParser.parseXl("03:00.0@0").autoSlot()).isTrue();
        assertThat(SpecParser.parseXl("03:00.0@0").canonical()).isEqualTo("0000:03:00.0");
    }

    @Test
    void a_trailing_comma_is_accepted() {
        assertThat(SpecParser.parseXl("03:00.0,seize=1,").options().seize()).isTrue();
    }

    @Test
    void unknown_key_is_an_error_at_its_column() {
        assertThatThrownBy(() -> SpecParser.parseXl("03:00.0,permisive=1"))
                .isInstanceOf(SyntaxError.class)
                .hasMessageStartingWith("\"03:00.0,permisive=1\", column 9: expected a known option (bdf, vslot,");
    }

    @Test
    void a_bad_boolean_names_its_column() {
        assertThatThrownBy(() -> SpecParser.parseXl("03:00.0,seize=2"))
                .hasMessage("\"03:00.0,seize=2\", column 15: expected a boolean 0 or 1, found '2'");
    }

    @Test
    void a_bad_rdm_policy_names_the_choices() {
        assertThatThrownBy(() -> SpecParser.parseXl("03:00.0,rdm_policy=loose"))
                .hasMessageContaining("column 20: expected rdm_policy 'strict' or 'relaxed'");
    }

    @Test
    void a_slot_above_1f_is_refused_as_xl_does() {
        assertThatThrownBy(() -> SpecParser.parseXl("03:00.0@20"))
                .hasMessageContaining("column 9: expected a hex virtual slot 00-1f");
    }

    @Test
    void a_parameter_given_twice_is_refused() {
        assertThatThrownBy(() -> SpecParser.parseXl("03:00.0@2,vslot=3"))
                .hasMessageContaining("column 11: expected each parameter once, but vslot is given again");
        assertThatThrownBy(() -> SpecParser.parseXl("03:00.0,seize=1,seize=0"))
                .hasMessageContaining("seize is given again");
    }

    @Test
    void a_spec_without_a_function_is_refused() {
        assertThatThrownBy(() -> SpecParser.parseXl("seize=1"))
                .hasMessageContaining("column 1: expected a PCI function such as 03:00.0 (or bdf=...)");
        assertThatThrownBy(() -> SpecParser.parseXl(""))
                .hasMessageContaining("column 1: expected a PCI function such as 03:00.0, found the end");
    }

    @Test
    void an_error_inside_the_address_points_into_the_whole_text() {
        assertThatThrownBy(() -> SpecParser.parseXl("permissive=1,bdf=03:00.9"))
                .hasMessageContaining("column 24: expected a function number 0-7 or '*', found '9'");
    }

    @Test
    void device_model_list_joins_entries_with_dashes() {
        List<AssignmentSpec> specs = SpecParser.parseDeviceModelList("0000:03:00.0-0000:04:00.1@1f");
        assertThat(specs).extracting(AssignmentSpec::canonical)
                .containsExactly("0000:03:00.0", "0000:04:00.1@1f");
    }

    @Test
    void device_model_list_needs_the_segment() {
        assertThatThrownBy(() -> SpecParser.parseDeviceModelList("03:00.0"))
                .hasMessageContaining("column 6: expected ':' after the bus");
    }

    @Test
    void device_model_list_rejects_garbage_between_entries() {
        assertThatThrownBy(() -> SpecParser.parseDeviceModelList("0000:03:00.0+0000:04:00.0"))
                .hasMessageContaining("column 13: expected '-' before the next entry, or the end, found '+'");
    }

    @Test
    void auto_syntax_tells_the_forms_apart() {
        assertThat(SpecParser.parse("0000:03:00.0-0000:04:00.0", SpecSyntax.AUTO)).hasSize(2);
        assertThat(SpecParser.parse("03:00.0,seize=1", SpecSyntax.AUTO)).hasSize(1);
        assertThat(SpecParser.parse("0000:03:00.0@5", SpecSyntax.AUTO).getFirst().vslot()).isEqualTo(5);
    }

    @Property
    void canonical_form_parses_back_to_the_same_spec(@ForAll("specs") AssignmentSpec spec) {
        assertThat(SpecParser.parseXl(spec.canonical())).isEqualTo(spec);
    }

    @Provide
    Arbitrary<AssignmentSpec> specs() {
        Arbitrary<PciAddress> addresses = Combinators.combine(
                Arbitraries.integers().between(0, 0xffff), Arbitraries.integers().between(0, 0xff),
                Arbitraries.integers().between(0, 0x1f), Arbitraries.integers().between(0, 7))
                .as(PciAddress::new);
        Arbitrary<Boolean> flag = Arbitraries.of(true, false).injectNull(0.4);
        Arbitrary<SpecOptions> options = Combinators.combine(flag, flag, flag, flag,
                        Arbitraries.of(RdmPolicy.values()).injectNull(0.5))
                .as(SpecOptions::new);
        return Combinators.combine(addresses, Arbitraries.of(true, false), Arbitraries.integers().between(0, 0x1f), options)
                .as((address, all, slot, opts) -> new AssignmentSpec(all ? address.withFunction(0) : address, all, slot, opts));
    }
}
