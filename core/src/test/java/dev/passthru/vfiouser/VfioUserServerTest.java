package dev.passthru.vfiouser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passthru.config.ConfigOptions;
import dev.passthru.device.DeviceRig;
import dev.passthru.host.HostFunction;
import dev.passthru.os.ForeignUnixSockets;
import dev.passthru.os.UnixSockets;
import dev.passthru.vfio.ForeignVfioCalls;
import dev.passthru.vfio.VfioCalls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The vfio-user server on a real Unix socket, driven by {@link SpecClient}, which lays its bytes
 * out from the spec: every command the server serves, what it refuses and with which errno,
 * malformed and random messages, the twin socket, and a second client that finds the function
 * as the first left it. The function is the Intel 82576 NIC recorded in examples/dumps (two
 * memory BARs, an I/O BAR, MSI-X with 10 vectors in BAR 3, a 4 MiB ROM), behind the device model.
 */
class VfioUserServerTest {

    private static final int EINVAL = 22;
    private static final int EEXIST = 17;
    private static final int ENOTSUP = 95;
    private static final int E2BIG = 7;
    private static final int EVENTFD_TRIGGER = 4 | 32;
    private static final int NONE_TRIGGER = 1 | 32;
    private static final int NONE_MASK = 1 | 8;
    private static final int NONE_UNMASK = 1 | 16;

    @TempDir
    Path dir;

    private final UnixSockets sockets = new ForeignUnixSockets();
    private final VfioCalls calls = new ForeignVfioCalls();
    private VfioUserServer server;
    private SpecClient client;

    @BeforeEach
    void serve() {
        HostFunction nic = new DeviceRig().nic;
        ServedFunction function = ServedFunction.attach(nic, ConfigOptions.DEFAULT, DeviceRig.YES);
        server = VfioUserServer.start(sockets, calls, function, dir.resolve("nic.sock").toString());
        client = new SpecClient(sockets, server.path());
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    private SpecClient.Reply negotiate() {
        SpecClient.Reply r = client.version("{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":65536}}");
        assertThat(r.isError()).isFalse();
        return r;
    }

    @Test
    void version_answers_major_0_a_minor_no_higher_than_proposed_and_its_limits_as_json() throws Exception {
        SpecClient.Reply r = negotiate();
        ByteBuffer b = r.body();
        assertThat(b.getShort(0)).isEqualTo((short) 0);
        assertThat(b.getShort(2)).isEqualTo((short) 1);
        JsonNode caps = new ObjectMapper().readTree(SpecClient.versionJson(r)).path("capabilities");
        assertThat(caps.path("max_msg_fds").asInt()).isEqualTo(16);
        assertThat(caps.path("max_data_xfer_size").asInt()).isEqualTo(1 << 20);
        assertThat(caps.path("pgsizes").asLong()).isEqualTo(4096);
        assertThat(caps.has("twin_socket")).as("not proposed, not offered").isFalse();
        assertThat(r.payload()[r.payload().length - 1]).as("the JSON is NUL-terminated").isZero();
        assertThat(client.version(null).error()).as("a second VERSION").isEqualTo(EINVAL);
    }

    @Test
    void commands_before_version_a_major_it_does_not_speak_and_bad_json_are_refused_and_the_connection_stays() {
        assertThat(client.deviceInfo(16).error()).as("before VERSION").isEqualTo(EINVAL);
        SpecClient.Reply major = client.call(SpecClient.VERSION, SpecClient.le(4).putShort((short) 1).putShort((short) 0).array());
        assertThat(major.isError()).isTrue();
        assertThat(major.error()).isEqualTo(ENOTSUP);
        assertThat(client.version("{not json").error()).isEqualTo(EINVAL);
        assertThat(client.version("[1,2]").error()).isEqualTo(EINVAL);
        assertThat(client.version(null).isError()).as("no version data at all is fine").isFalse();
        assertThat(client.deviceInfo(16).isError()).isFalse();
    }

    @Test
    void device_info_says_pci_with_reset_9_regions_and_5_interrupt_indexes() {
        negotiate();
        ByteBuffer b = client.deviceInfo(16).body();
        assertThat(b.getInt(0)).isEqualTo(16);
        assertThat(b.getInt(4)).isEqualTo(3);
        assertThat(b.getInt(8)).isEqualTo(9);
        assertThat(b.getInt(12)).isEqualTo(5);
        assertThat(client.deviceInfo(8).error()).as("argsz less than the reply").isEqualTo(EINVAL);
    }

    @Test
    void region_info_gives_each_bar_rom_and_config_space_their_size_and_access_and_no_descriptor_for_a_recording() {
        negotiate();
        long[][] expected = {{0, 128 << 10, 3}, {1, 4 << 20, 3}, {2, 32, 3}, {3, 16 << 10, 3}, {4, 0, 0}, {5, 0, 0},
                {6, 4 << 20, 1}, {7, 4096, 3}, {8, 0, 0}};
        for (long[] e : expected) {
            SpecClient.Reply r = client.regionInfo((int) e[0], 32);
            ByteBuffer b = r.body();
            assertThat(r.isError()).isFalse();
            assertThat(b.getInt(8)).as("index").isEqualTo((int) e[0]);
            assertThat(b.getLong(16)).as("size of region %d", e[0]).isEqualTo(e[1]);
            assertThat(b.getInt(4)).as("flags of region %d", e[0]).isEqualTo((int) e[2]);
            assertThat(r.fds()).as("a recording has nothing to map").isEmpty();
        }
        assertThat(client.regionInfo(9, 32).error()).isEqualTo(EINVAL);
        assertThat(client.regionInfo(0, 16).error()).isEqualTo(EINVAL);
    }

    @Test
    void config_space_is_the_device_models_identity_through_bars_mediated_and_extended_space_readable() {
        negotiate();
        assertThat(client.read(7, 0, 4)).isEqualTo(0x10c98086L);
        assertThat(client.read(7, 0, 2)).isEqualTo(0x8086L);
        client.write(7, 0x10, 4, 0xffff_ffffL);
        assertThat(client.read(7, 0x10, 4)).as("BAR 0 sized: 128 KiB").isEqualTo(0xfffe_0000L);
        client.write(7, 0x10, 4, 0xfeb0_0000L);
        assertThat(client.read(7, 0x10, 4)).isEqualTo(0xfeb0_0000L);
        assertThat(client.read(7, 0x100, 4)).as("extended config space: the first extended capability").isNotZero();
        SpecClient.Reply wide = client.regionRead(7, 0, 64);
        assertThat(Arrays.copyOfRange(wide.payload(), 16, 18)).containsExactly(0x86, 0x80);
        assertThat(client.regionRead(7, 4095, 2).error()).as("past config space").isEqualTo(EINVAL);
        assertThat(client.regionRead(4, 0, 4).error()).as("a BAR the function lacks").isEqualTo(EINVAL);
        assertThat(client.regionWrite(6, 0, new byte[4]).error()).as("the ROM is read-only").isEqualTo(EINVAL);
        assertThat(client.regionRead(0, 0, (1 << 20) + 1).error()).as("over max_data_xfer_size").isEqualTo(EINVAL);
    }

    @Test
    void the_msix_table_in_bar_3_is_the_device_models_own_and_a_write_multi_lands_every_write() {
        negotiate();
        client.write(3, 0, 4, 0xfee0_0000L);
        client.write(3, 8, 4, 0x4021);
        assertThat(client.read(3, 0, 4)).isEqualTo(0xfee0_0000L);
        assertThat(client.read(3, 8, 4)).isEqualTo(0x4021);
        assertThat(client.read(3, 12, 4) & 1).as("vector control: masked after reset").isEqualTo(1);
        ByteBuffer multi = SpecClient.le(8 + 2 * 24).putLong(2);
        multi.putLong(16).putInt(3).putInt(4).putLong(0xfee0_1000L);
        multi.putLong(24).putInt(3).putInt(4).putLong(0x4022);
        SpecClient.Reply r = client.call(SpecClient.REGION_WRITE_MULTI, multi.array());
        assertThat(r.body().getLong(0)).isEqualTo(2);
        assertThat(client.read(3, 16, 4)).isEqualTo(0xfee0_1000L);
        assertThat(client.read(3, 24, 4)).isEqualTo(0x4022);
        ByteBuffer bad = SpecClient.le(8 + 24).putLong(2);
        bad.putLong(0).putInt(3).putInt(4).putLong(1);
        assertThat(client.call(SpecClient.REGION_WRITE_MULTI, bad.array()).error()).as("count and size disagree")
                .isEqualTo(EINVAL);
    }

    @Test
    void irq_info_gives_intx_msi_and_msix_vectors_and_bad_indexes_are_refused() {
        negotiate();
        assertThat(client.irqInfo(0).body().getInt(12)).isEqualTo(1);
        assertThat(client.irqInfo(1).body().getInt(12)).isEqualTo(1);
        ByteBuffer msix = client.irqInfo(2).body();
        assertThat(msix.getInt(12)).isEqualTo(10);
        assertThat(msix.getInt(4) & 0x3).as("eventfd and maskable").isEqualTo(3);
        assertThat(client.irqInfo(3).body().getInt(12)).isZero();
        assertThat(client.irqInfo(5).error()).isEqualTo(EINVAL);
    }

    @Test
    void an_msix_vector_signals_the_clients_eventfd_holds_it_pending_while_masked_and_delivers_it_on_unmask() {
        negotiate();
        int eventfd = calls.eventfd();
        int passed = calls.eventfd();
        try {
            assertThat(client.setIrqs(EVENTFD_TRIGGER, 2, 3, 1, new byte[0], eventfd).isError()).isFalse();
            // the server holds its own descriptor for the client's eventfd: signalling through it reaches ours
            assertThat(client.setIrqs(NONE_TRIGGER, 2, 3, 1, new byte[0]).isError()).isFalse();
            assertThat(calls.drain(eventfd)).isEqualTo(1);
            client.setIrqs(NONE_MASK, 2, 3, 1, new byte[0]);
            client.setIrqs(NONE_TRIGGER, 2, 3, 1, new byte[0]);
            assertThat(calls.drain(eventfd)).as("masked: nothing delivered").isZero();
            assertThat(server.session().interrupts().pending(2, 3)).isTrue();
            client.setIrqs(NONE_UNMASK, 2, 3, 1, new byte[0]);
            assertThat(calls.drain(eventfd)).as("delivered on unmask").isEqualTo(1);
            assertThat(server.session().interrupts().pending(2, 3)).isFalse();
            client.setIrqs(2 | 32, 2, 2, 2, new byte[] {0, 1});
            assertThat(calls.drain(eventfd)).as("DATA_BOOL picks vector 3 of 2..3").isEqualTo(1);
            assertThat(client.setIrqs(EVENTFD_TRIGGER, 2, 9, 2, new byte[0], passed).error()).as("past the last vector")
                    .isEqualTo(EINVAL);
            assertThat(client.setIrqs(4 | 8, 2, 0, 1, new byte[0], passed).error()).as("eventfd on mask")
                    .isEqualTo(ENOTSUP);
            assertThat(client.setIrqs(1 | 2 | 32, 2, 0, 1, new byte[1]).error()).as("two data kinds").isEqualTo(EINVAL);
            assertThat(client.setIrqs(NONE_TRIGGER, 7, 0, 1, new byte[0]).error()).isEqualTo(EINVAL);
            assertThat(client.setIrqs(NONE_TRIGGER, 2, 0, 0, new byte[0]).isError()).as("count 0: all off").isFalse();
            assertThat(server.session().interrupts().eventfd(2, 3)).isEqualTo(-1);
        } finally {
            calls.close(eventfd);
            calls.close(passed);
        }
    }

    @Test
    void a_dma_window_with_a_descriptor_is_mapped_and_one_without_is_reached_by_dma_read_and_write() throws Exception {
        negotiate();
        Path file = dir.resolve("guest-ram");
        try (RandomAccessFile ram = new RandomAccessFile(file.toFile(), "rw")) {
            ram.setLength(1 << 20);
        }
        int fd = calls.open(file.toString());
        long mine = calls.map(fd, 1 << 20, 0, "test RAM");
        calls.copyIn(mine + 0x3000, "written by the client".getBytes(StandardCharsets.US_ASCII));
        assertThat(client.dmaMap(3, 0, 0x4000_0000L, 1 << 20, fd).isError()).isFalse();
        calls.close(fd);
        VfioUserSession session = server.session();
        assertThat(new String(session.memory().read(0x4000_3000L, 21, session), StandardCharsets.US_ASCII))
                .isEqualTo("written by the client");
        session.memory().write(0x4000_5000L, "written by the server".getBytes(StandardCharsets.US_ASCII), session);
        byte[] back = new byte[21];
        calls.copyOut(mine + 0x5000, back);
        assertThat(new String(back, StandardCharsets.US_ASCII)).isEqualTo("written by the server");

        assertThat(client.dmaMap(3, 0, 0x4008_0000L, 0x1000).error()).as("overlaps").isEqualTo(EEXIST);
        assertThat(client.dmaMap(3, 0, 0x5000_0800L, 0x1000).error()).as("unaligned").isEqualTo(EINVAL);
        assertThat(client.dmaMap(3, 0, 0x5000_0000L, 0).error()).as("empty").isEqualTo(EINVAL);

        assertThat(client.dmaMap(3, 0, 0x8000_0000L, 0x2000).isError()).as("no descriptor").isFalse();
        byte[] remote = "memory only the client can reach".getBytes(StandardCharsets.US_ASCII);
        byte[] clientMemory = Arrays.copyOf(remote, 0x2000);
        CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> session.memory().read(0x8000_0000L, remote.length, session));
        SpecClient.Reply dmaRead = client.read(client.fd);
        assertThat(dmaRead.command()).isEqualTo(SpecClient.DMA_READ);
        assertThat(dmaRead.isReply()).isFalse();
        client.answer(client.fd, dmaRead, 0x8000_0000L, clientMemory);
        assertThat(read.get(10, TimeUnit.SECONDS)).isEqualTo(remote);
        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> session.memory().write(0x8000_1000L,
                "back".getBytes(StandardCharsets.US_ASCII), session));
        SpecClient.Reply dmaWrite = client.read(client.fd);
        assertThat(dmaWrite.command()).isEqualTo(SpecClient.DMA_WRITE);
        client.answer(client.fd, dmaWrite, 0x8000_0000L, clientMemory);
        write.get(10, TimeUnit.SECONDS);
        assertThat(new String(clientMemory, 0x1000, 4, StandardCharsets.US_ASCII)).isEqualTo("back");

        SpecClient.Reply unmapped = client.dmaUnmap(0x4000_0000L, 1 << 20);
        assertThat(unmapped.isError()).isFalse();
        assertThat(unmapped.body().getLong(8)).as("the entry echoed").isEqualTo(0x4000_0000L);
        assertThat(client.dmaUnmap(0x8000_0000L, 0x1000).error()).as("not exactly a window").isEqualTo(EINVAL);
        assertThat(session.memory().windows()).hasSize(1);
        calls.unmap(mine, 1 << 20);
    }

    @Test
    void with_a_twin_socket_the_servers_dma_read_comes_over_the_socket_the_version_reply_passed() {
        SpecClient.Reply r = client.version("{\"capabilities\":{\"twin_socket\":{\"supported\":true}}}");
        assertThat(SpecClient.versionJson(r)).contains("\"twin_socket\":{\"supported\":true,\"fd_index\":0}");
        assertThat(r.fds()).hasSize(1);
        int twin = r.fds()[0];
        assertThat(client.dmaMap(3, 0, 0x1000_0000L, 0x1000).isError()).isFalse();
        VfioUserSession session = server.session();
        byte[] clientMemory = Arrays.copyOf("over the twin".getBytes(StandardCharsets.US_ASCII), 0x1000);
        CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> session.memory().read(0x1000_0000L, 13, session));
        SpecClient.Reply dmaRead = client.read(twin);
        client.answer(twin, dmaRead, 0x1000_0000L, clientMemory);
        assertThat(new String(read.join(), StandardCharsets.US_ASCII)).isEqualTo("over the twin");
        sockets.close(twin);
    }

    @Test
    void reset_puts_the_virtual_config_back_and_unserved_commands_are_refused_with_enotsup() {
        negotiate();
        client.write(7, 4, 2, 0x6);
        assertThat(client.read(7, 4, 2) & 0x6).isEqualTo(0x6);
        assertThat(client.call(SpecClient.DEVICE_RESET, new byte[0]).isError()).isFalse();
        assertThat(client.read(7, 4, 2) & 0x2).as("memory decode off after reset: the virtual command register's; bus "
                + "mastering is the recorded host's own, which only a host reset would clear").isZero();
        assertThat(client.call(SpecClient.DEVICE_FEATURE, SpecClient.le(8).putInt(8).putInt(0x10001).array()).error())
                .isEqualTo(ENOTSUP);
        assertThat(client.call(SpecClient.DEVICE_GET_REGION_IO_FDS, SpecClient.le(16).putInt(16).array()).error())
                .isEqualTo(ENOTSUP);
        assertThat(client.call(99, new byte[0]).error()).isEqualTo(EINVAL);
    }

    @Test
    void malformed_messages_get_an_error_reply_each_and_the_server_reads_on_in_step() {
        negotiate();
        client.sendRaw(40, SpecClient.DEVICE_GET_INFO, 8, 0, new byte[0]);
        SpecClient.Reply small = client.read(client.fd);
        assertThat(small.id()).isEqualTo(40);
        assertThat(small.error()).as("size under the header").isEqualTo(EINVAL);
        client.sendRaw(41, SpecClient.REGION_WRITE, 16 + (2 << 20), 0, new byte[2 << 20]);
        SpecClient.Reply big = client.read(client.fd);
        assertThat(big.id()).isEqualTo(41);
        assertThat(big.error()).as("over the largest message").isEqualTo(E2BIG);
        for (int command : new int[] {SpecClient.DMA_MAP, SpecClient.DMA_UNMAP, SpecClient.DEVICE_GET_INFO,
                SpecClient.DEVICE_GET_REGION_INFO, SpecClient.DEVICE_GET_IRQ_INFO, SpecClient.DEVICE_SET_IRQS,
                SpecClient.REGION_READ, SpecClient.REGION_WRITE, SpecClient.REGION_WRITE_MULTI}) {
            assertThat(client.call(command, new byte[3]).error()).as("a 3-byte payload for command %d", command).isEqualTo(EINVAL);
        }
        client.sendRaw(42, SpecClient.DEVICE_GET_INFO, 32, 1, new byte[16]);
        client.sendRaw(43, SpecClient.DEVICE_GET_INFO, 32, 7, new byte[16]);
        SpecClient.Reply badType = client.read(client.fd);
        assertThat(badType.id()).as("a stray reply is dropped; a message of type 7 is refused").isEqualTo(43);
        assertThat(badType.error()).isEqualTo(EINVAL);
        client.sendRaw(44, SpecClient.DEVICE_RESET, 16, 0x10, new byte[0]);
        assertThat(client.deviceInfo(16).isError()).as("no reply to a no-reply command; the next is answered").isFalse();
    }

    @Test
    void a_thousand_random_messages_never_take_the_server_down() {
        negotiate();
        Random random = new Random(19);
        for (int i = 0; i < 1000; i++) {
            int command = random.nextInt(20);
            byte[] payload = new byte[random.nextInt(48)];
            random.nextBytes(payload);
            if (command == SpecClient.DEVICE_RESET || command == SpecClient.VERSION) {
                continue;
            }
            SpecClient.Reply r = client.call(command, payload);
            assertThat(r.command()).isEqualTo(command);
            for (int passed : r.fds()) {
                sockets.close(passed);
            }
        }
        assertThat(client.deviceInfo(16).body().getInt(8)).isEqualTo(9);
        assertThat(server.session().refused()).isGreaterThan(500);
    }

    @Test
    void a_client_that_reconnects_finds_the_function_as_it_was_and_nothing_of_the_first_clients_memory() throws Exception {
        negotiate();
        client.write(7, 0x10, 4, 0xfeb0_0000L);
        client.write(3, 0, 4, 0xfee0_0000L);
        assertThat(client.dmaMap(3, 0, 0x1000_0000L, 0x1000).isError()).isFalse();
        client.close();
        for (int i = 0; i < 200 && server.session() != null; i++) {
            Thread.sleep(10);
        }
        client = new SpecClient(sockets, server.path());
        negotiate();
        assertThat(server.clients()).isEqualTo(2);
        assertThat(client.read(7, 0x10, 4)).isEqualTo(0xfeb0_0000L);
        assertThat(client.read(3, 0, 4)).isEqualTo(0xfee0_0000L);
        assertThat(server.session().memory().windows()).as("the first client's DMA windows went with it").isEmpty();
        assertThat(client.dmaMap(3, 0, 0x1000_0000L, 0x1000).isError()).as("so the same window maps again").isFalse();
    }

    @Test
    void a_stale_socket_file_is_replaced_and_anything_else_at_the_path_is_left_alone() throws Exception {
        String stale = dir.resolve("stale.sock").toString();
        sockets.close(sockets.listen(stale));
        assertThat(Files.exists(dir.resolve("stale.sock"))).as("a server that stopped left its socket").isTrue();
        ServedFunction function = server.function();
        try (VfioUserServer second = VfioUserServer.start(sockets, calls, function, stale);
             SpecClient other = new SpecClient(sockets, second.path())) {
            assertThat(other.version(null).isError()).isFalse();
        }
        Path other = Files.writeString(dir.resolve("not-a-socket"), "data");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> VfioUserServer.start(sockets, calls, function, other.toString()))
                .hasMessageContaining("not a socket");
        assertThat(Files.readString(other)).isEqualTo("data");
    }
}
