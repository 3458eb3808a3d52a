package dev.passthru.vfiouser;

import dev.passthru.log.RateLimitedLog;
import dev.passthru.os.NativeCallFailed;
import dev.passthru.os.UnixSockets;
import dev.passthru.vfio.VfioCalls;
import org.jspecify.annotations.Nullable;

import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A vfio-user server for one function on one socket path: it listens there and serves one
 * client at a time (the protocol gives each client its own socket); the next client waits in
 * the backlog and, once taken, finds the function as the last one left it. {@link #close}
 * stops listening, ends the connection being served and removes the socket.
 */
public final class VfioUserServer implements AutoCloseable {

    private static final RateLimitedLog LOG = RateLimitedLog.of(VfioUserServer.class.getName());

    private final UnixSockets sockets;
    private final VfioCalls calls;
    private final ServedFunction function;
    private final String path;
    private final int listener;
    private final Thread thread;
    private final AtomicLong clients = new AtomicLong();
    private volatile @Nullable VfioUserSession session;
    private volatile boolean closing;

    private VfioUserServer(UnixSockets sockets, VfioCalls calls, ServedFunction function, String path, int listener) {
        this.sockets = sockets;
        this.calls = calls;
        this.function = function;
        this.path = path;
        this.listener = listener;
        this.thread = Thread.ofPlatform().name("vfio-user " + path).daemon().unstarted(this::accept);
    }

    /** Listens at {@code path} (a stale socket there is replaced) and starts serving. */
    public static VfioUserServer start(UnixSockets sockets, VfioCalls calls, ServedFunction function, String path) {
        VfioUserServer server = new VfioUserServer(sockets, calls, function, path, sockets.listen(path));
        server.thread.start();
        return server;
    }

    private void accept() {
        while (!closing) {
            int fd;
            try {
                fd = sockets.accept(listener);
            } catch (NativeCallFailed e) {
                if (!closing) {
                    LOG.log(Level.WARNING, "%s: %s; no more clients", path, e.getMessage());
                }
                return;
            }
            if (closing) {
                sockets.close(fd);
                return;
            }
            long number = clients.incrementAndGet();
            VfioUserSession current = new VfioUserSession(sockets, calls, function, fd,
                    function.device().function().address() + " client " + number);
            session = current;
            current.run();
            session = null;
        }
    }

    public String path() {
        return path;
    }

    public ServedFunction function() {
        return function;
    }

    /** Clients taken so far, the one being served included. */
    public long clients() {
        return clients.get();
    }

    /** The connection being served now, if any. */
    @Nullable VfioUserSession session() {
        return session;
    }

    @Override
    public void close() {
        closing = true;
        VfioUserSession current = session;
        if (current != null) {
            current.disconnect();
        }
        sockets.shutdown(listener);
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sockets.close(listener);
        try {
            Files.deleteIfExists(Path.of(path));
        } catch (java.io.IOException e) {
            LOG.log(Level.WARNING, "%s: socket not removed: %s", path, e.getMessage());
        }
    }
}
