package dev.passthru.os;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The unix sockets contract on the C library, over real socket pairs; and, since only the real
 * one has somewhere to connect to, a connection to a listening socket (Java's own, as QEMU's
 * would be).
 */
class ForeignUnixSocketsContractTest extends UnixSocketsContract {

    private final UnixSockets sockets = new ForeignUnixSockets();

    @TempDir
    Path dir;

    @Override
    protected UnixSockets sockets() {
        return sockets;
    }

    @Test
    void connects_to_a_listening_socket_and_talks_both_ways() throws IOException {
        Path path = dir.resolve("listener.sock");
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(path));
            int fd = sockets.connect(path.toString());
            try (SocketChannel accepted = listener.accept()) {
                byte[] hello = "hello listener".getBytes(StandardCharsets.US_ASCII);
                sockets.send(fd, hello, hello.length);
                ByteBuffer got = ByteBuffer.allocate(hello.length);
                while (got.hasRemaining() && accepted.read(got) > 0) {
                    // a stream may bring the bytes in parts
                }
                assertThat(got.array()).isEqualTo(hello);
                accepted.write(ByteBuffer.wrap("hi".getBytes(StandardCharsets.US_ASCII)));
                byte[] into = new byte[2];
                assertThat(sockets.receive(fd, into, 0, 2).bytes()).isEqualTo(2);
                assertThat(new String(into, StandardCharsets.US_ASCII)).isEqualTo("hi");
            }
            assertThat(sockets.receive(fd, new byte[2], 0, 2).bytes()).as("the listener's side closed").isZero();
            sockets.close(fd);
        }
    }
}
