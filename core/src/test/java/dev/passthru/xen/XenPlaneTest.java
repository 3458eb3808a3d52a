package dev.passthru.xen;

import com.fasterxml.jackson.databind.JsonNode;
import dev.passthru.control.ControlError;
import dev.passthru.control.Request;
import dev.passthru.control.XenPlane;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.SpecParser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The daemon's Xen plane over the Xen stand-ins: what it refuses before anything is done, and
 * what it lists. (Attaching to a paused domain needs a pciback function and real resets: that
 * runs in XenGuestTest's dom0, with guest c.)
 */
class XenPlaneTest {

    private final FakeXenControl xen = new FakeXenControl();
    private final FakeIoreqCalls calls = new FakeIoreqCalls();
    private final FakeXenStore store = new FakeXenStore();
    private final StringWriter log = new StringWriter();
    private final XenPlane plane;

    XenPlaneTest(@TempDir Path stateDir) {
        store.write("/local/domain/0/name", "Domain-0");
        store.write("/local/domain/1/name", "web");
        store.write("/local/domain/2/name", "db");
        xen.paused.add(2);
        plane = new XenPlane(xen, calls, store, new FakeXenStore(), Path.of("/nonexistent"), stateDir, 4096,
                new PrintWriter(log));
    }

    @AfterEach
    void close() {
        plane.close();
    }

    @Test
    void list_shows_xls_domains_with_their_state_and_nothing_served() {
        JsonNode list = plane.handle(new Request.ListVms());
        assertThat(list).hasSize(2);
        assertThat(list.get(0).path("name").asText()).isEqualTo("web");
        assertThat(list.get(0).path("state").asText()).isEqualTo("alive");
        assertThat(list.get(1).path("name").asText()).isEqualTo("db");
        assertThat(list.get(1).path("state").asText()).isEqualTo("paused");
        assertThat(list.get(1).path("functions").asInt()).isZero();
    }

    @Test
    void hot_plug_into_a_running_guest_is_refused_in_one_line_and_nothing_is_started() {
        assertThatThrownBy(() -> plane.handle(new Request.PciAttach("web", SpecParser.parseXl("0000:00:04.0@5"), "0000:00:04.0@5")))
                .isInstanceOfSatisfying(ControlError.class, e -> {
                    assertThat(e.code()).isEqualTo("domain-running");
                    assertThat(e.getMessage()).startsWith("domain 1 (web) is not paused: hot-plug into a running HVM guest needs "
                            + "its ACPI hot-plug controller, which qemu-xen owns").doesNotContain("\n");
                });
        assertThat(calls.calls).as("no ioreq server started").isEmpty();
        assertThat(xen.calls).isEmpty();
    }

    @Test
    void a_paused_domain_is_refused_a_function_the_host_cannot_show() {
        assertThatThrownBy(() -> plane.handle(new Request.PciAttach("2", SpecParser.parseXl("0000:00:04.0"), "0000:00:04.0")))
                .isInstanceOfSatisfying(ControlError.class, e -> assertThat(e.code()).isEqualTo("attach-failed"))
                .hasMessageContaining("/nonexistent: no readable devices/ folder");
        assertThat(xen.calls).isEmpty();
    }

    @Test
    void unknown_domains_and_xls_own_commands_are_refused() {
        assertThatThrownBy(() -> plane.handle(new Request.PciList("mail"))).isInstanceOfSatisfying(ControlError.class,
                e -> assertThat(e.code()).isEqualTo("no-such-vm"));
        assertThatThrownBy(() -> plane.handle(new Request.PciDetach("db", PciAddress.parse("0000:00:04.0"))))
                .isInstanceOfSatisfying(ControlError.class, e -> assertThat(e.code()).isEqualTo("not-attached"));
        assertThatThrownBy(() -> plane.handle(new Request.Destroy("db"))).hasMessage(
                "destroy: on a Xen host domains and pciback are xl's; use 'xl destroy', then 'passthru pci-attach DOMAIN SPEC'");
        assertThat(plane.handle(new Request.PciList("db"))).isEmpty();
    }
}
