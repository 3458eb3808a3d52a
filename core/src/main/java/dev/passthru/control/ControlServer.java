package dev.passthru.control;

import org.jspecify.annotations.Nullable;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.passthru.InputError;
import dev.passthru.log.LogScope;
import dev.passthru.log.RateLimitedLog;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The daemon's control socket: a unix stream socket that only its owner (mode 0600), or a
 * group named at start (0660), may open. Requests and replies are JSON objects, one a line:
 * {@code {"id": ..., "command": "pci-attach", "vm": "web", "spec": "03:00.0@6"}} is answered
 * {@code {"id": ..., "ok": true, "result": ...}} or {@code {"id": ..., "ok": false, "error":
 * {"code": "...", "message": "..."}}}. A line over {@link #MAX_REQUEST} bytes or one that is
 * not a JSON object gets an error reply, and the connection stays usable. Each connection is
 * served on its own virtual thread.
 */
public final class ControlServer implements AutoCloseable {

    /** Requests are a few hundred bytes; anything this long is not one. */
    public static final int MAX_REQUEST = 64 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final RateLimitedLog LOG = RateLimitedLog.of(ControlServer.class.getName());

    private final Plane plane;
    private final ServerSocketChannel server;
    private final Path path;
    private final Thread acceptor;

    private ControlServer(Plane plane, ServerSocketChannel server, Path path) {
        this.plane = plane;
        this.server = server;
        this.path = path;
        this.acceptor = Thread.ofPlatform().name("control-accept").start(this::accept);
    }

    /**
     * Listens at {@code path} (replacing a stale socket file), for the owner or {@code group}.
     * bind(2) makes the socket file with the umask's mode, and a client could connect between it
     * and a chmod. So the socket is bound in a folder of the same parent that only the owner may
     * enter (0700), given its mode and group there, and only then renamed to {@code path}: no
     * one can reach it before it has its final mode. The rename replaces a stale file in one step.
     */
    public static ControlServer listen(Plane plane, Path path, String group) {
        Path staging = null;
        ServerSocketChannel server = null;
        try {
            Path parent = Files.createDirectories(path.toAbsolutePath().getParent());
            staging = Files.createTempDirectory(parent, ".control-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path bound = staging.resolve("s");
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(bound));
            Files.setPosixFilePermissions(bound, PosixFilePermissions.fromString(group == null ? "rw-------" : "rw-rw----"));
            if (group != null) {
                GroupPrincipal principal = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
                Files.getFileAttributeView(bound, PosixFileAttributeView.class).setGroup(principal);
            }
            Files.move(bound, path, StandardCopyOption.ATOMIC_MOVE);
            return new ControlServer(plane, server, path);
        } catch (IOException e) {
            closeQuietly(server);
            throw new InputError(path + ": cannot listen (" + e.getMessage() + ")");
        } finally {
            deleteQuietly(staging);
        }
    }

    private static void closeQuietly(@Nullable ServerSocketChannel server) {
        try {
            if (server != null) {
                server.close();
            }
        } catch (IOException e) {
            // already failing: the first cause is the one reported
        }
    }

    /** Removes the staging folder and, when listening failed, the socket bound in it. */
    private static void deleteQuietly(@Nullable Path staging) {
        if (staging == null) {
            return;
        }
        try {
            Files.deleteIfExists(staging.resolve("s"));
            Files.deleteIfExists(staging);
        } catch (IOException e) {
            // a leftover empty folder named .control-* harms nothing
        }
    }

    private void accept() {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                Thread.ofVirtual().start(() -> serve(client));
            } catch (IOException e) {
                if (server.isOpen()) {
                    LOG.log(Level.WARNING, "control socket: accept failed (%s)", e);
                }
            }
        }
    }

    private void serve(SocketChannel client) {
        try (client) {
            ByteBuffer buffer = ByteBuffer.allocate(8192);
            byte[] line = new byte[MAX_REQUEST];
            int length = 0;
            boolean overflow = false;
            while (client.read(buffer.clear()) > 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    byte b = buffer.get();
                    if (b != '\n') {
                        if (length < MAX_REQUEST) {
                            line[length++] = b;
                        } else {
                            overflow = true;
                        }
                        continue;
                    }
                    String reply = overflow ? error(null, "too-large", "a request is at most " + MAX_REQUEST + " bytes")
                            : answer(new String(line, 0, length, StandardCharsets.UTF_8));
                    client.write(ByteBuffer.wrap((reply + "\n").getBytes(StandardCharsets.UTF_8)));
                    length = 0;
                    overflow = false;
                }
            }
        } catch (IOException e) {
            // the client went away; nothing is owed to it
        }
    }

    private String answer(String text) {
        JsonNode request;
        try {
            request = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return error(null, "bad-json", "not JSON: " + e.getOriginalMessage());
        }
        if (request == null || !request.isObject()) {
            return error(null, "bad-json", "a request is a JSON object");
        }
        JsonNode id = request.get("id");
        try {
            ObjectNode reply = JSON.createObjectNode();
            reply.set("id", id);
            reply.put("ok", true);
            reply.set("result", plane.handle(Request.parse(request)));
            return reply.toString();
        } catch (ControlError e) {
            return error(id, e.code(), e.getMessage());
        } catch (InputError e) {
            return error(id, "bad-input", e.getMessage());
        } catch (RuntimeException e) {
            String command = request.path("command").asText();
            JsonNode vm = request.get("vm");
            if (vm != null && vm.isTextual()) {
                LogScope.call(vm.asText(), () -> {
                    LOG.log(Level.WARNING, "control request %s failed: %s", command, e);
                    return vm;
                });
            } else {
                LOG.log(Level.WARNING, "control request %s failed: %s", command, e);
            }
            return error(id, "internal", e.toString());
        }
    }

    private static String error(@Nullable JsonNode id, String code, @Nullable String message) {
        ObjectNode reply = JSON.createObjectNode();
        reply.set("id", id);
        reply.put("ok", false);
        reply.putObject("error").put("code", code).put("message", message);
        return reply.toString();
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() {
        try {
            server.close();
            acceptor.join(2000);
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // the socket file may already be gone
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
