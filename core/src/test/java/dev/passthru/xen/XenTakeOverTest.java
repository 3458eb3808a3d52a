package dev.passthru.xen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.passthru.Fixtures;
import dev.passthru.control.Request;
import dev.passthru.control.XenPlane;
import dev.passthru.host.ContractSources;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.SpecParser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Xen daemon killed while its guest runs, and the daemon started after it, over the Xen
 * stand-ins: the new one takes the domain's ioreq server over (no new server, no hypercall for
 * what Xen holds already), shows the guest the registers it programmed, answers the access the
 * guest's vCPU was left waiting on, and reconciles what Xen holds with what was kept.
 */
class XenTakeOverTest {

    private static final String NVME = "0000:00:04.0";
    private static final PciAddress GUEST = new PciAddress(0, 0, 5, 0);
    private static final long BAR0 = 0xe000_0000L;
    private static final long MSI_ADDRESS = 0xfee0_0000L;

    private final FakeXenControl xen = new FakeXenControl();
    private final FakeIoreqCalls calls = new FakeIoreqCalls();
    private final FakeXenStore store = new FakeXenStore();
    private final List<XenPlane> planes = new ArrayList<>();
    private final StringWriter log = new StringWriter();
    @TempDir
    Path dir;
    private Path sysfs;
    private Path state;

    @BeforeEach
    void host() throws IOException {
        store.write("/local/domain/0/name", "Domain-0");
        store.write("/local/domain/1/name", "db");
        xen.paused.add(1);
        sysfs = dir.resolve("sysfs");
        state = dir.resolve("state");
        ContractSources.copy(Fixtures.sysfs(), sysfs);
        Path function = sysfs.resolve("devices").resolve(NVME);
        Files.writeString(function.resolve("driver.name"), "pciback\n");
        Files.writeString(function.resolve("reset"), "");
    }

    @AfterEach
    void close() {
        planes.getLast().close();
    }

    private XenPlane daemon() {
        XenPlane plane = new XenPlane(xen, calls, store, new FakeXenStore(), sysfs, state, 4096, new PrintWriter(log));
        planes.add(plane);
        return plane;
    }

    private long config(int offset, int size, long data, boolean read) throws InterruptedException {
        return calls.access(Ioreq.TYPE_PCI_CONFIG, ((long) XenSbdf.of(GUEST) << 32) | offset, size, data, 1, read, false, false);
    }

    private void mmio(long address, long data) throws InterruptedException {
        calls.access(Ioreq.TYPE_MMIO, address, 4, data, 1, false, false, false);
    }

    /** The guest's driver at work: BAR 0 placed, memory decode and bus mastering on, MSI-X entry 0 programmed and on. */
    private void guestSetsUp() throws InterruptedException {
        config(0x10, 4, BAR0, false);
        config(0x14, 4, 0, false);
        config(0x04, 2, 0x6, false);
        int msix = capability(0x11);
        long table = BAR0 + (config(msix + 4, 4, 0, true) & ~7L);
        mmio(table, MSI_ADDRESS);
        mmio(table + 4, 0);
        mmio(table + 8, 0x4041);
        mmio(table + 12, 0);
        config(msix + 2, 2, 0x8000 | (config(msix + 2, 2, 0, true) & 0x7ff), false);
    }

    private int capability(int id) throws InterruptedException {
        int at = (int) config(0x34, 1, 0, true) & 0xfc;
        while (at != 0 && (config(at, 1, 0, true) & 0xff) != id) {
            at = (int) config(at + 1, 1, 0, true) & 0xfc;
        }
        return at;
    }

    private void attached() throws InterruptedException {
        XenPlane first = daemon();
        first.handle(new Request.PciAttach("db", SpecParser.parseXl(NVME + "@5"), NVME + "@5"));
        xen.paused.remove(1);
        guestSetsUp();
        // kill -9: the process's ports and mappings go, what it made in Xen stays
        calls.processDied();
    }

    @Test
    void a_daemon_started_after_one_was_killed_takes_the_domain_over_and_answers_the_waiting_vcpu() throws Exception {
        attached();
        String heldBefore = xen.held();
        int hypercalls = xen.calls.size();
        int ioreqCalls = calls.calls.size();
        calls.leaveWaiting(Ioreq.TYPE_PCI_CONFIG, ((long) XenSbdf.of(GUEST) << 32) | 0x10, 4, 0, true);

        XenPlane second = daemon();

        assertThat(calls.awaitAnswer() & 0xffff_fff0L).as("the guest's BAR, answered to the vCPU left waiting").isEqualTo(BAR0);
        assertThat(xen.calls.subList(hypercalls, xen.calls.size())).as("no hypercall for what Xen holds already").isEmpty();
        assertThat(xen.held()).isEqualTo(heldBefore);
        List<String> takeOver = calls.calls.subList(ioreqCalls, calls.calls.size());
        assertThat(takeOver).contains("check " + FakeIoreqCalls.SERVER, "map page " + FakeIoreqCalls.SERVER,
                "bind " + FakeIoreqCalls.REMOTE_PORT).noneMatch(c -> c.startsWith("create") || c.equals("on"));
        JsonNode shown = second.handle(new Request.Show("db"));
        assertThat(shown.path("takenOver").path("xenFound").asInt()).as("assignment, mapping, pirq and binding found").isGreaterThanOrEqualTo(4);
        assertThat(shown.path("takenOver").path("xenMadeAgain").asInt()).isZero();
        assertThat(shown.path("takenOver").path("xenRemoved").asInt()).isZero();
        assertThat(shown.path("takenOver").path("routesFound").asInt()).as("config space, the MSI-X table page, the PBA page").isEqualTo(3);
        assertThat(shown.path("takenOver").path("waitingAnswered").asInt()).isEqualTo(1);
        assertThat(log.toString()).contains("passthru daemon: domain 1 (db) taken over in ");
        assertThat(config(0x04, 2, 0, true) & 0x6).as("the command register as the guest left it").isEqualTo(0x6);

        second.handle(new Request.PciDetach("db", PciAddress.parse(NVME)));
        assertThat(xen.held()).as("pci-detach leaves nothing in Xen").isEqualTo("assigned={} p2m={} permissions=[] pirqs={} bindings=[]");
        assertThat(Files.list(state).filter(f -> f.getFileName().toString().startsWith("xen-domain-"))).isEmpty();
    }

    @Test
    void a_domain_gone_while_no_daemon_ran_is_cleaned_up_at_start() throws Exception {
        attached();
        xen.destroy(1);
        int ioreqCalls = calls.calls.size();

        daemon();

        assertThat(log.toString()).contains("passthru daemon: domain 1 (db) is gone since the daemon stopped: 1 function(s) let go, 1 clean");
        assertThat(calls.calls.subList(ioreqCalls, calls.calls.size())).as("no server to take over").isEmpty();
        assertThat(Files.readString(sysfs.resolve("devices").resolve(NVME).resolve("reset"))).as("reset once Xen let go").isEqualTo("1");
        assertThat(Files.exists(state.resolve("xen-domain-1.json"))).isFalse();
    }

    @Test
    void what_xen_holds_that_nothing_kept_explains_is_removed_at_take_over() throws Exception {
        attached();
        Path kept = state.resolve("xen-domain-1.json");
        ObjectMapper json = new ObjectMapper();
        ObjectNode doc = (ObjectNode) json.readTree(kept.toFile());
        doc.putArray("attaches");
        Files.write(kept, json.writeValueAsBytes(doc));

        XenPlane second = daemon();

        assertThat(xen.held()).as("the function's assignment, mapping, pirq and binding removed")
                .isEqualTo("assigned={} p2m={} permissions=[] pirqs={} bindings=[]");
        assertThat(log.toString()).containsPattern("in Xen 0 entr\\(ies\\) found, 0 made again, [4-9] removed");
        assertThat(second.handle(new Request.PciList("db"))).isEmpty();
    }
}
