package dev.passthru.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.passthru.InputError;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/** One connection to the daemon's control socket: requests sent and their replies read, in turn. */
public final class ControlClient implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where the daemon listens unless told otherwise. */
    public static final Path DEFAULT_SOCKET = Path.of("/run/passthru/control.sock");

    private final SocketChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(65536);
    private long nextId = 1;

    private ControlClient(SocketChannel channel) {
        this.channel = channel;
        buffer.flip();
    }

    /**
     * @throws InputError when no daemon answers there, saying where it looked
     */
    public static ControlClient connect(Path socket) {
        try {
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
            return new ControlClient(channel);
        } catch (IOException e) {
            throw new InputError("no passthru daemon at " + socket + " (" + e.getMessage() + "); start one with "
                    + "'passthru daemon', or give --socket PATH or PASSTHRU_SOCKET");
        }
    }

    /** Sends a request; the reply object ({@code ok}, then {@code result} or {@code error}). */
    public JsonNode request(String command, Map<String, String> arguments) {
        ObjectNode request = JSON.createObjectNode().put("id", nextId++).put("command", command);
        arguments.forEach(request::put);
        return raw(request.toString());
    }

    /** Sends one line as it is and reads one reply line. */
    public JsonNode raw(String line) {
        try {
            ByteBuffer out = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                channel.write(out);
            }
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            while (true) {
                while (buffer.hasRemaining()) {
                    byte b = buffer.get();
                    if (b == '\n') {
                        return JSON.readTree(reply.toByteArray());
                    }
                    reply.write(b);
                }
                buffer.clear();
                if (channel.read(buffer) < 0) {
                    throw new InputError("the daemon closed the connection");
                }
                buffer.flip();
            }
        } catch (IOException e) {
            throw new InputError("the daemon's socket failed (" + e.getMessage() + ")");
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // closing a socket the daemon already closed
        }
    }
}
