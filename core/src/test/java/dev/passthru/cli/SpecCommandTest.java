package dev.passthru.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SpecCommandTest {

    @Test
    void prints_the_canonical_form_of_each_spec() {
        Cli cli = Cli.run("spec", "03:00.0@6,permissive=1", "0000:04:00.*", "0000:05:00.0-0000:05:00.1@1f");
        assertThat(cli.status()).isZero();
        assertThat(cli.out().lines()).containsExactly(
                "0000:03:00.0@06,permissive=1", "0000:04:00.*", "0000:05:00.0", "0000:05:00.1@1f");
        assertThat(cli.err()).isEmpty();
    }

    @Test
    void a_bad_spec_gets_one_line_with_input_column_and_expectation() {
        Cli cli = Cli.run("spec", "03:00.0", "03:00.0,permissive=maybe");
        assertThat(cli.status()).isEqualTo(2);
        assertThat(cli.out().lines()).containsExactly("0000:03:00.0");
        assertThat(cli.err().lines()).containsExactly(
                "passthru: bad PCI spec \"03:00.0,permissive=maybe\", column 20: expected a boolean 0 or 1, found 'm'");
    }

    @Test
    void json_gives_tooling_every_field() throws Exception {
        Cli cli = Cli.run("spec", "--json", "03:00.0@6,seize=1");
        JsonNode spec = new ObjectMapper().readTree(cli.out()).get(0);
        assertThat(spec.get("canonical").asText()).isEqualTo("0000:03:00.0@06,seize=1");
        assertThat(spec.get("address").asText()).isEqualTo("0000:03:00.0");
        assertThat(spec.get("vslot").asInt()).isEqualTo(6);
        assertThat(spec.get("allFunctions").asBoolean()).isFalse();
        assertThat(spec.get("options").get("seize").asBoolean()).isTrue();
        assertThat(spec.get("options").get("rdm_policy").asText()).isEqualTo("relaxed");
        assertThat(spec.get("given").get(0).asText()).isEqualTo("seize");
    }

    @Test
    void the_syntax_can_be_forced() {
        assertThat(Cli.run("spec", "--syntax", "dm", "03:00.0").status()).isEqualTo(2);
        Cli bad = Cli.run("spec", "--syntax", "yaml", "03:00.0");
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err()).contains("expected xl, dm or auto, found 'yaml'");
    }
}
