package dev.passthru.qemu;

import dev.passthru.device.DeviceRig;
import dev.passthru.device.Placement;
import dev.passthru.os.FakeUnixSockets;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;

/** The connection's handling of descriptors and of a message cut short, on the in-memory fake. */
class ProxyConnectionFakeTest {

    private final FakeUnixSockets sockets = new FakeUnixSockets();
    private final DeviceRig rig = new DeviceRig();
    private final int[] pair = sockets.socketPair();

    private ProxyConnection connection() {
        return new ProxyConnection(sockets, pair[0], new DeviceProxyTarget(rig.attach(rig.nic, Placement.NONE)), "nic");
    }

    @Test
    void every_descriptor_qemu_sends_is_closed_and_so_is_the_connection_at_the_end() {
        int memfd = sockets.descriptor();
        int irqfd = sockets.descriptor();
        int resample = sockets.descriptor();
        byte[] sync = new byte[ProxyMessage.HEADER + ProxyMessage.SYSMEM_DATA];
        ByteBuffer.wrap(sync).order(ByteOrder.LITTLE_ENDIAN).putInt(0, ProxyMessage.SYNC_SYSMEM)
                .putLong(8, ProxyMessage.SYSMEM_DATA);
        sockets.send(pair[1], sync, sync.length, memfd);
        byte[] irq = new byte[ProxyMessage.HEADER];
        ByteBuffer.wrap(irq).order(ByteOrder.LITTLE_ENDIAN).putInt(0, ProxyMessage.SET_IRQFD);
        sockets.send(pair[1], irq, irq.length, irqfd, resample);
        sockets.close(pair[1]);
        ProxyConnection connection = connection();
        connection.run();
        assertThat(connection.messages()).isEqualTo(2);
        assertThat(sockets.received()).as("passthru's own descriptors of memfd, irqfd and resample").hasSize(3)
                .allMatch(sockets::isClosed);
        assertThat(sockets.isClosed(pair[0])).isTrue();
        assertThat(connection.endReason()).isEqualTo("QEMU closed the connection");
    }

    @Test
    void a_message_cut_short_ends_the_connection_without_a_reply() {
        byte[] cut = new byte[ProxyMessage.HEADER + 5];
        ByteBuffer.wrap(cut).order(ByteOrder.LITTLE_ENDIAN).putInt(0, ProxyMessage.PCI_CFGREAD)
                .putLong(8, ProxyMessage.CONFIG_DATA);
        sockets.send(pair[1], cut, cut.length);
        sockets.close(pair[1]);
        ProxyConnection connection = connection();
        connection.run();
        assertThat(connection.endReason()).isEqualTo("QEMU closed the connection inside a message");
        assertThat(sockets.pending(pair[1])).isEmpty();
    }
}
