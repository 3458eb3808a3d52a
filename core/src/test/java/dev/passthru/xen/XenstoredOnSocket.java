package dev.passthru.xen;

import dev.passthru.os.ErrnoNames;
import dev.passthru.os.NativeCallFailed;
import org.jspecify.annotations.Nullable;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * xenstored's side of its Unix socket, answering from a {@link FakeXenStore}, so that the real
 * libxenstore (and {@link ForeignXenStore} over it) can be run where no Xen is. It takes one
 * connection, as one xs_open makes, then removes its socket; its two threads end when
 * libxenstore closes the connection. The wire is xenstore's (xen/io/xs_wire.h, docs/misc/xenstore.txt): a
 * request and its reply are a header of four little-endian uint32 (type, request id,
 * transaction id, payload length) and a payload of NUL-separated strings; a failure is
 * replied as XS_ERROR with the errno's name; watch events are sent unasked as XS_WATCH_EVENT
 * with the path and the token, after the reply of the request that caused them.
 */
final class XenstoredOnSocket {

    private static final int XS_DIRECTORY = 1;
    private static final int XS_READ = 2;
    private static final int XS_WATCH = 4;
    private static final int XS_UNWATCH = 5;
    private static final int XS_WRITE = 11;
    private static final int XS_RM = 13;
    private static final int XS_WATCH_EVENT = 15;
    private static final int XS_ERROR = 16;
    private static final int ENOSYS = 38;
    private static final int HEADER = 16;
    private static final byte[] OK = "OK\0".getBytes(StandardCharsets.US_ASCII);

    private final FakeXenStore store;
    private final ServerSocketChannel server;
    private final Path socket;
    private volatile boolean open = true;
    private @Nullable SocketChannel connection;

    private XenstoredOnSocket(FakeXenStore store, Path socket) throws IOException {
        this.store = store;
        this.socket = socket;
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
    }

    /** Listens at {@code socket}, where libxenstore connects when XENSTORED_PATH names it. */
    static void start(FakeXenStore store, Path socket) throws IOException {
        XenstoredOnSocket daemon = new XenstoredOnSocket(store, socket);
        Thread.ofPlatform().daemon().name("xenstored requests").start(daemon::serveRequests);
        Thread.ofPlatform().daemon().name("xenstored events").start(daemon::sendEvents);
    }

    private void serveRequests() {
        try (SocketChannel accepted = server.accept()) {
            server.close();
            Files.delete(socket);
            synchronized (this) {
                connection = accepted;
            }
            while (open) {
                ByteBuffer header = readFully(accepted, HEADER);
                int type = header.getInt(0);
                byte[] payload = readFully(accepted, header.getInt(12)).array();
                synchronized (this) {
                    reply(accepted, type, header.getInt(4), header.getInt(8), payload);
                }
            }
        } catch (EOFException e) {
            open = false;
        } catch (IOException e) {
            open = false;
            throw new UncheckedIOException(e);
        }
    }

    /** Does the request on the store and answers it while holding the connection, so the events it caused follow the reply. */
    private void reply(SocketChannel channel, int type, int request, int transaction, byte[] payload) throws IOException {
        List<String> args = strings(payload);
        byte[] answer;
        int answerType = type;
        try {
            answer = switch (type) {
                case XS_READ -> store.read(args.get(0)).map(v -> v.getBytes(StandardCharsets.UTF_8))
                        .orElseThrow(() -> new NativeCallFailed("read", args.get(0), FakeXenStore.ENOENT));
                case XS_DIRECTORY -> directory(args.get(0));
                case XS_WRITE -> {
                    int nul = indexOfNul(payload);
                    store.write(args.get(0), new String(payload, nul + 1, payload.length - nul - 1, StandardCharsets.UTF_8));
                    yield OK;
                }
                case XS_RM -> {
                    store.remove(args.get(0));
                    yield OK;
                }
                case XS_WATCH -> {
                    store.watch(args.get(0), args.get(1));
                    yield OK;
                }
                case XS_UNWATCH -> {
                    store.unwatch(args.get(0), args.get(1));
                    yield OK;
                }
                default -> throw new NativeCallFailed("request " + type, "", ENOSYS);
            };
        } catch (NativeCallFailed e) {
            answerType = XS_ERROR;
            answer = (ErrnoNames.name(e.errno()) + "\0").getBytes(StandardCharsets.US_ASCII);
        }
        send(channel, answerType, request, transaction, answer);
    }

    private byte[] directory(String path) {
        if (store.read(path).isEmpty()) {
            throw new NativeCallFailed("directory", path, FakeXenStore.ENOENT);
        }
        StringBuilder names = new StringBuilder();
        for (String child : store.directory(path)) {
            names.append(child).append('\0');
        }
        return names.toString().getBytes(StandardCharsets.UTF_8);
    }

    private void sendEvents() {
        while (open) {
            Optional<XenStore.WatchEvent> event = store.nextEvent(20);
            if (event.isEmpty()) {
                continue;
            }
            byte[] payload = (event.get().path() + "\0" + event.get().token() + "\0").getBytes(StandardCharsets.UTF_8);
            synchronized (this) {
                try {
                    if (connection != null && open) {
                        send(connection, XS_WATCH_EVENT, 0, 0, payload);
                    }
                } catch (IOException e) {
                    open = false;
                }
            }
        }
    }

    private static void send(SocketChannel channel, int type, int request, int transaction, byte[] payload) throws IOException {
        ByteBuffer message = ByteBuffer.allocate(HEADER + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        message.putInt(type).putInt(request).putInt(transaction).putInt(payload.length).put(payload).flip();
        while (message.hasRemaining()) {
            channel.write(message);
        }
    }

    private static ByteBuffer readFully(SocketChannel channel, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new EOFException("libxenstore closed the connection");
            }
        }
        return buffer;
    }

    private static int indexOfNul(byte[] payload) {
        for (int i = 0; i < payload.length; i++) {
            if (payload[i] == 0) {
                return i;
            }
        }
        return payload.length;
    }

    /** The NUL-terminated strings at the front of a payload (a write's value, which has no NUL, is read apart). */
    private static List<String> strings(byte[] payload) {
        List<String> strings = new ArrayList<>();
        int from = 0;
        for (int i = 0; i < payload.length; i++) {
            if (payload[i] == 0) {
                strings.add(new String(Arrays.copyOfRange(payload, from, i), StandardCharsets.UTF_8));
                from = i + 1;
            }
        }
        return strings;
    }
}
