package dev.passthru.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SimCommandTest {

    private static final String NIC = "../examples/dumps/intel-82576-nic.txt";

    private static List<String> nicAttach(String... more) {
        List<String> args = new ArrayList<>(List.of("sim", "attach", "01:00.0", "--dump", NIC, "--seize",
                "--place", "0=0xc0000000", "--place", "1=0xc0400000", "--place", "2=0xc000", "--place", "3=0xc0800000"));
        args.addAll(List.of(more));
        return args;
    }

    @Test
    void shows_every_call_of_an_attach_and_the_pages_it_traps() {
        Cli cli = Cli.run(nicAttach().toArray(String[]::new));
        assertThat(cli.status()).as(cli.err()).isZero();
        assertThat(cli.out()).contains(
                "  assign_device(domain 1, 0000:01:00.0) -> ok\n",
                "  map_mmio(domain 1, gfn 0xc0400, mfn 0xe0000, 2 x 2M) -> ok\n",
                "  map_ioports(domain 1, guest 0xc000, machine 0x1020, 32 ports) -> ok\n",
                "  map_pirq_gsi(domain 1, 0000:01:00.0, gsi 16) -> pirq 16\n",
                "  bind_pt_irq(domain 1, pirq 16, guest 0000:00:04.0 INTA) -> ok\n",
                "attached 0000:01:00.0 to domain 1 as 0000:00:04.0\n",
                "trapped, not mapped: BAR 3 0x0-0xfff\n",
                "trapped, not mapped: BAR 3 0x2000-0x2fff\n");
    }

    @Test
    void a_failed_call_is_undone_and_the_state_left_empty() throws Exception {
        Cli cli = Cli.run(nicAttach("--fail-call", "5", "--json").toArray(String[]::new));
        assertThat(cli.status()).isEqualTo(1);
        JsonNode doc = new ObjectMapper().readTree(cli.out());
        assertThat(doc.get("outcome").get(0).asText()).startsWith("attach failed and was undone: ")
                .endsWith("injected fault (call 5)");
        assertThat(doc.get("state").get("assigned").isEmpty()).isTrue();
        JsonNode domain = doc.get("state").get("domains").get(0);
        for (String table : List.of("devices", "p2m", "ioPorts", "pirqs", "intx", "msi")) {
            assertThat(domain.get(table).isEmpty()).as(table).isTrue();
        }
        assertThat(doc.get("calls").get(doc.get("calls").size() - 1).asText())
                .isEqualTo("deassign_device(domain 1, 0000:01:00.0) -> ok");
    }

    @Test
    void detach_takes_everything_down_again() throws Exception {
        Cli cli = Cli.run(nicAttach("--detach", "--rom-at", "0xc0c00000", "--json").toArray(String[]::new));
        assertThat(cli.status()).isZero();
        JsonNode doc = new ObjectMapper().readTree(cli.out());
        assertThat(doc.get("outcome").get(1).asText()).isEqualTo("detached");
        assertThat(doc.get("state").get("domains").get(0).get("p2m").isEmpty()).isTrue();
    }

    @Test
    void bad_input_is_one_line_and_status_2() {
        Cli unassignable = Cli.run("sim", "attach", "01:00.0", "--dump", NIC);
        assertThat(unassignable.status()).isEqualTo(2);
        assertThat(unassignable.err()).isEqualTo("passthru: 0000:01:00.0 cannot be given to a guest: bound to host "
                + "driver igb; bind it to vfio-pci or pciback, or give seize=1\n");
        Cli badAddress = Cli.run(nicAttach("--place", "4=0xzz").toArray(String[]::new));
        assertThat(badAddress.err()).isEqualTo("passthru: bad --place 4 '0xzz': expected a number such as 0xc0000000 or 5\n");
        Cli noBar = Cli.run(nicAttach("--place", "4=0xd0000000").toArray(String[]::new));
        assertThat(noBar.status()).isEqualTo(2);
        assertThat(noBar.err()).isEqualTo("passthru: placement of 0000:01:00.0: it has no BAR 4 (it has [0, 1, 2, 3])\n");
    }
}
