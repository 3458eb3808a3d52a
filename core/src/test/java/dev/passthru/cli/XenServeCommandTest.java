package dev.passthru.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** {@code xen serve}'s refusals, which come before anything is done (its real work is XenGuestTest's). */
class XenServeCommandTest {

    @Test
    void msitranslate_is_refused_in_one_line_saying_why() {
        Cli cli = Cli.run("xen", "serve", "1", "0000:03:00.0,msitranslate=1");
        assertThat(cli.status()).isEqualTo(2);
        assertThat(cli.err().lines()).singleElement().asString()
                .startsWith("passthru: '0000:03:00.0,msitranslate=1': msitranslate=1 is not supported: ")
                .contains("QEMU's xen_pt dropped");
    }

    @Test
    void a_bad_domain_or_spec_is_one_line() {
        Cli domain = Cli.run("xen", "serve", "one", "0000:03:00.0");
        assertThat(domain.status()).isEqualTo(2);
        assertThat(domain.err()).isEqualTo("passthru: bad domain id 'one': expected a number such as 1\n");
        Cli spec = Cli.run("xen", "serve", "1", "0000:03:00.0@99");
        assertThat(spec.status()).isEqualTo(2);
        assertThat(spec.err().lines()).singleElement().asString().startsWith("passthru: bad spec ");
    }

    @Test
    void without_xen_it_says_what_is_missing() {
        assumeFalse(Files.exists(Path.of("/dev/xen/privcmd")), "SKIPPED: this machine is a Xen dom0");
        Cli cli = Cli.run("xen", "serve", "1", "0000:03:00.0");
        assertThat(cli.status()).isEqualTo(2);
        assertThat(cli.err()).startsWith("passthru: Xen is not available: no /dev/xen/privcmd");
    }
}
