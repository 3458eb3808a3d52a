package dev.passthru.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.passthru.os.NativeCallFailed;
import dev.passthru.os.UnixSockets;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A client of QEMU's monitor protocol (QMP) on its unix socket: one JSON object a line. Commands
 * wait for their return or error; events are kept for {@link #awaitEvent}. File descriptors go
 * with a command as SCM_RIGHTS, which is how {@code getfd} hands QEMU a socket.
 */
public final class QmpClient implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(30);

    private final UnixSockets sockets;
    private final int fd;
    private final BlockingQueue<JsonNode> replies = new LinkedBlockingQueue<>();
    private final BlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
    private final Thread reader;

    private QmpClient(UnixSockets sockets, int fd) {
        this.sockets = sockets;
        this.fd = fd;
        this.reader = Thread.ofPlatform().daemon().name("qmp-reader").start(this::read);
    }

    /** Connects, reads the greeting and leaves capabilities negotiation mode. */
    public static QmpClient connect(UnixSockets sockets, String path) {
        QmpClient client = new QmpClient(sockets, sockets.connect(path));
        client.await(client.replies, "the QMP greeting");
        client.execute("qmp_capabilities", Map.of());
        return client;
    }

    /** Runs a command; its "return" value. A QMP error becomes an {@link IllegalStateException} with QEMU's words. */
    public JsonNode execute(String command, Map<String, Object> arguments, int... fds) {
        ObjectNode message = JSON.createObjectNode().put("execute", command);
        if (!arguments.isEmpty()) {
            message.set("arguments", JSON.valueToTree(arguments));
        }
        byte[] bytes = (message + "\n").getBytes(StandardCharsets.UTF_8);
        sockets.send(fd, bytes, bytes.length, fds);
        JsonNode reply = await(replies, "QEMU's answer to " + command);
        if (reply.has("error")) {
            throw new IllegalStateException(command + ": " + reply.get("error").path("desc").asText(reply.toString()));
        }
        return reply.get("return");
    }

    /** Waits for the event named {@code name} (others that came first are dropped). */
    public JsonNode awaitEvent(String name, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                JsonNode event = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (event == null) {
                    throw new IllegalStateException("no " + name + " event from QEMU within " + timeout.toSeconds() + " s");
                }
                if (event.path("event").asText().equals(name)) {
                    return event;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for " + name, e);
            }
        }
    }

    private JsonNode await(BlockingQueue<JsonNode> queue, String what) {
        try {
            JsonNode node = queue.poll(REPLY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (node == null) {
                throw new IllegalStateException("no " + what + " within " + REPLY_TIMEOUT.toSeconds() + " s");
            }
            if (node.has("closed")) {
                throw new IllegalStateException("QEMU closed its monitor before " + what);
            }
            return node;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for " + what, e);
        }
    }

    /** Reads lines and sorts them into replies (greeting, return, error) and events. */
    private void read() {
        byte[] buffer = new byte[8192];
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            while (true) {
                UnixSockets.Received r = sockets.receive(fd, buffer, 0, buffer.length);
                for (int passed : r.fds()) {
                    sockets.close(passed);
                }
                if (r.bytes() == 0) {
                    break;
                }
                for (int i = 0; i < r.bytes(); i++) {
                    if (buffer[i] == '\n') {
                        sort(JSON.readTree(line.toByteArray()));
                        line.reset();
                    } else {
                        line.write(buffer[i]);
                    }
                }
            }
        } catch (Exception e) {
            // the socket went away or QEMU wrote something that is not JSON; waiters are told below
        }
        replies.add(JSON.createObjectNode().put("closed", true));
    }

    private void sort(JsonNode node) {
        (node.has("event") ? events : replies).add(node);
    }

    /** Events received and not yet awaited, for diagnostics. */
    public List<JsonNode> pendingEvents() {
        return new ArrayList<>(events);
    }

    @Override
    public void close() {
        try {
            sockets.shutdown(fd);
        } catch (NativeCallFailed e) {
            // QEMU may be gone already; the descriptor is closed below either way
        }
        sockets.close(fd);
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
