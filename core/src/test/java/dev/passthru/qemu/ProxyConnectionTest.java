package dev.passthru.qemu;

import dev.passthru.device.DeviceRig;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.device.Placement;
import dev.passthru.os.ForeignUnixSockets;
import dev.passthru.os.UnixSockets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;

/** passthru's end of QEMU's multi-process link, spoken to over a real socketpair. */
class ProxyConnectionTest {

    private final UnixSockets sockets = new ForeignUnixSockets();
    private final DeviceRig rig = new DeviceRig();
    private final PassthroughDevice nic = rig.attach(rig.nic, Placement.NONE);
    private final int[] pair = sockets.socketPair();
    private final ProxyConnection connection = new ProxyConnection(sockets, pair[0], new DeviceProxyTarget(nic), "nic");
    private final Thread server = Thread.ofPlatform().start(connection);
    private final ProxyClient qemu = new ProxyClient(sockets, pair[1]);

    @AfterEach
    void close() throws InterruptedException {
        sockets.close(pair[1]);
        server.join(TimeUnit.SECONDS.toMillis(5));
        assertThat(server.isAlive()).isFalse();
    }

    @Test
    void answers_config_reads_and_writes_as_the_virtual_config_space() {
        assertThat(qemu.configRead(PCI_VENDOR_ID, 4)).isEqualTo(0x10c9_8086L);
        qemu.configWrite(PCI_BASE_ADDRESS_0, 4, -1);
        assertThat(qemu.configRead(PCI_BASE_ADDRESS_0, 4)).as("sizing probe: 128K").isEqualTo(0xfffe_0000L);
        qemu.configWrite(PCI_BASE_ADDRESS_0, 4, 0xc000_0000);
        assertThat(qemu.configRead(PCI_BASE_ADDRESS_0, 4)).isEqualTo(0xc000_0000L);
        assertThat(qemu.configRead(0x2000, 4)).as("past config space").isEqualTo(0xffff_ffffL);
    }

    @Test
    void bar_accesses_at_guest_addresses_reach_the_host_bar_and_the_msix_table_is_emulated() {
        qemu.configWrite(PCI_BASE_ADDRESS_0, 4, 0xc000_0000);
        qemu.configWrite(PCI_BASE_ADDRESS_0 + 12, 4, 0xc080_0000);
        qemu.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
        qemu.barWrite(0xc000_0010L, 4, 0xcafe_f00dL, true);
        assertThat(rig.nic.memory().read(0, 0x10, 4)).isEqualTo(0xcafe_f00dL);
        assertThat(qemu.barRead(0xc000_0010L, 4, true)).isEqualTo(0xcafe_f00dL);
        qemu.barWrite(0xc080_0008L, 4, 0x41, true);
        assertThat(qemu.barRead(0xc080_0008L, 4, true)).isEqualTo(0x41);
        assertThat(rig.nic.memory().read(3, 0x8, 4)).as("the host's table is not written").isZero();
        assertThat(qemu.barRead(0xd000_0000L, 4, true)).as("in no BAR").isEqualTo(0xffff_ffffL);
    }

    @Test
    void a_malformed_message_ends_the_connection_with_a_reason() throws InterruptedException {
        byte[] bad = new byte[ProxyMessage.HEADER + 4];
        ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putInt(0, ProxyMessage.PCI_CFGREAD).putLong(8, 4);
        qemu.sendRaw(bad);
        server.join(5000);
        assertThat(connection.endReason()).isEqualTo("command 3 with 4 bytes of data, expected 12");
        byte[] unknown = new byte[ProxyMessage.HEADER];
        ByteBuffer.wrap(unknown).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 42);
        int[] other = sockets.socketPair();
        ProxyConnection second = new ProxyConnection(sockets, other[0], new DeviceProxyTarget(nic), "nic");
        Thread t = Thread.ofPlatform().start(second);
        sockets.send(other[1], unknown, unknown.length);
        t.join(5000);
        assertThat(second.endReason()).isEqualTo("unknown command 42");
        sockets.close(other[1]);
    }

    @Test
    void descriptors_sent_with_sync_sysmem_are_taken_and_closed() throws InterruptedException {
        int[] spare = sockets.socketPair();
        byte[] sync = new byte[ProxyMessage.HEADER + ProxyMessage.SYSMEM_DATA];
        ByteBuffer.wrap(sync).order(ByteOrder.LITTLE_ENDIAN).putInt(0, ProxyMessage.SYNC_SYSMEM)
                .putLong(8, ProxyMessage.SYSMEM_DATA);
        sockets.send(pair[1], sync, sync.length, spare[0], spare[1]);
        assertThat(qemu.configRead(PCI_DEVICE_ID, 2)).as("still serving").isEqualTo(0x10c9);
        sockets.close(spare[0]);
        sockets.close(spare[1]);
        assertThat(connection.messages()).isEqualTo(2);
    }
}
