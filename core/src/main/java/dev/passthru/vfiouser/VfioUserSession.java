package dev.passthru.vfiouser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.passthru.log.RateLimitedLog;
import dev.passthru.os.NativeCallFailed;
import dev.passthru.os.UnixSockets;
import dev.passthru.vfio.VfioCalls;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One client's connection to a {@link ServedFunction}: VERSION first, then its commands in the
 * order they came, each answered (unless it asked for no reply) with the reply the spec lays
 * out or with the error bit and an errno, never by closing the connection or by an exception.
 * The client's DMA windows and interrupt eventfds are this session's and go with it; the
 * function's state stays for the next client. The server's own commands to the client
 * (DMA_READ and DMA_WRITE, for windows with no descriptor) go over the twin socket where the
 * client took one, else over this socket, their replies picked out of the stream by id.
 */
final class VfioUserSession implements ClientMemory.ClientAccess {

    private static final RateLimitedLog LOG = RateLimitedLog.of(VfioUserSession.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long CLIENT_REPLY_SECONDS = 10;
    private static final int SPARSE_AREA = 16;
    private static final int SPARSE_HEADER = 16;

    /** A command refused: the errno its reply carries. */
    private static final class Refused extends RuntimeException {
        final int errno;

        Refused(int errno, String why) {
            super(why, null, false, false);
            this.errno = errno;
        }
    }

    private final UnixSockets sockets;
    private final ServedFunction function;
    private final MessageChannel channel;
    private final String name;
    private final ClientMemory memory;
    private final ClientInterrupts interrupts;
    private final Map<Integer, CompletableFuture<Message>> awaiting = new ConcurrentHashMap<>();
    private final AtomicInteger nextId = new AtomicInteger();
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private volatile @Nullable MessageChannel twin;
    private volatile boolean negotiated;
    private volatile int clientMaxData = VfioUser.MAX_DATA_XFER;

    VfioUserSession(UnixSockets sockets, VfioCalls calls, ServedFunction function, int fd, String name) {
        this.sockets = sockets;
        this.function = function;
        this.channel = new MessageChannel(sockets, fd);
        this.name = name;
        this.memory = new ClientMemory(calls, function.vfio());
        this.interrupts = new ClientInterrupts(calls, function);
    }

    /** Serves the connection until the client closes it; then takes down what was the client's. */
    void run() {
        try {
            for (Message m = channel.read(); m != null; m = channel.read()) {
                if (m.malformed() == null && m.reply()) {
                    CompletableFuture<Message> waiting = awaiting.remove(m.id());
                    closeAll(m.fds());
                    if (waiting != null) {
                        waiting.complete(m);
                    }
                    continue;
                }
                serve(m);
            }
        } catch (NativeCallFailed e) {
            LOG.log(Level.WARNING, "%s: connection lost: %s", name, e.getMessage());
        } finally {
            end();
        }
    }

    private void serve(Message m) {
        int[] fds = m.fds();
        boolean[] taken = {false};
        byte[] reply;
        int[] replyFds = UnixSockets.NO_FDS;
        int[] ours = UnixSockets.NO_FDS;
        try {
            Message.Malformed malformed = m.malformed();
            if (malformed != null) {
                throw new Refused(malformed.errno(), malformed.why());
            }
            if ((m.flags() & VfioUser.TYPE_MASK) != VfioUser.TYPE_COMMAND) {
                throw new Refused(VfioUser.EINVAL, "message type " + (m.flags() & VfioUser.TYPE_MASK));
            }
            if (!negotiated && m.command() != VfioUser.VERSION) {
                throw new Refused(VfioUser.EINVAL, "VFIO_USER_VERSION must come first");
            }
            ByteBuffer body = m.body();
            switch (m.command()) {
                case VfioUser.VERSION -> {
                    Negotiated n = version(body);
                    reply = n.payload();
                    replyFds = n.fds();
                    ours = n.fds();
                }
                case VfioUser.DMA_MAP -> {
                    taken[0] = true;
                    reply = dmaMap(body, fds);
                }
                case VfioUser.DMA_UNMAP -> reply = dmaUnmap(body, m.payload());
                case VfioUser.DEVICE_GET_INFO -> reply = deviceInfo(body);
                case VfioUser.DEVICE_GET_REGION_INFO -> {
                    ServedFunction.Region region = regionOf(body);
                    reply = regionInfo(body, region);
                    // the descriptor comes with the whole answer only: a client asking again with room for the caps gets it once
                    boolean whole = ByteBuffer.wrap(reply).order(ByteOrder.LITTLE_ENDIAN).getInt(0) == reply.length;
                    replyFds = region.fd() >= 0 && whole ? new int[] {region.fd()} : UnixSockets.NO_FDS;
                }
                case VfioUser.DEVICE_GET_IRQ_INFO -> reply = irqInfo(body);
                case VfioUser.DEVICE_SET_IRQS -> {
                    taken[0] = true;
                    reply = setIrqs(body, fds);
                }
                case VfioUser.REGION_READ -> reply = regionRead(body);
                case VfioUser.REGION_WRITE -> reply = regionWrite(body, m.payload());
                case VfioUser.REGION_WRITE_MULTI -> reply = writeMulti(body, m.payload());
                case VfioUser.DEVICE_RESET -> {
                    LOG.log(Level.INFO, "%s: reset by the client: %s", name, function.reset());
                    reply = new byte[0];
                }
                case VfioUser.DEVICE_GET_REGION_IO_FDS, VfioUser.DEVICE_FEATURE, VfioUser.MIG_DATA_READ,
                     VfioUser.MIG_DATA_WRITE -> throw new Refused(VfioUser.ENOTSUP, "not served by passthru");
                default -> throw new Refused(VfioUser.EINVAL, "no such command");
            }
            served.incrementAndGet();
            if (!m.noReply()) {
                channel.send(m.id(), m.command(), VfioUser.TYPE_REPLY, 0, reply, replyFds);
            }
        } catch (Refused e) {
            refuse(m, e.errno, String.valueOf(e.getMessage()));
        } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
            refuse(m, VfioUser.EINVAL, "payload of " + m.payload().length + " bytes is too short");
        } catch (NativeCallFailed e) {
            refuse(m, e.errno() != 0 ? e.errno() : VfioUser.EINVAL, e.getMessage());
        } catch (RuntimeException e) {
            refuse(m, VfioUser.EINVAL, e.toString());
        } finally {
            if (!taken[0]) {
                closeAll(fds);
            }
            closeAll(ours);
        }
    }

    private void refuse(Message m, int errno, String why) {
        refused.incrementAndGet();
        LOG.log(Level.WARNING, "%s: %s (id %d) refused, errno %d: %s", name, VfioUser.command(m.command()), m.id(), errno, why);
        if (!m.noReply()) {
            channel.send(m.id(), m.command(), VfioUser.TYPE_REPLY | VfioUser.ERROR, errno, new byte[0]);
        }
    }

    private record Negotiated(byte[] payload, int[] fds) {
    }

    private Negotiated version(ByteBuffer body) {
        if (negotiated) {
            throw new Refused(VfioUser.EINVAL, "the version was negotiated already");
        }
        int major = body.getShort() & 0xffff;
        int minor = body.getShort() & 0xffff;
        if (major != VfioUser.MAJOR) {
            throw new Refused(VfioUser.ENOTSUP, "protocol " + major + "." + minor + " proposed; passthru speaks "
                    + VfioUser.MAJOR + "." + VfioUser.MINOR);
        }
        JsonNode proposed = capabilities(body);
        JsonNode limit = proposed.path("max_data_xfer_size");
        if (limit.canConvertToInt() && limit.asInt() > 0) {
            clientMaxData = limit.asInt();
        }
        ObjectNode caps = JSON.createObjectNode();
        caps.put("max_msg_fds", VfioUser.MAX_MSG_FDS).put("max_data_xfer_size", VfioUser.MAX_DATA_XFER)
                .put("max_dma_maps", VfioUser.MAX_DMA_MAPS).put("pgsizes", VfioUser.PAGE_SIZES);
        int[] fds = UnixSockets.NO_FDS;
        int[] pair = null;
        if (proposed.path("twin_socket").path("supported").asBoolean(false)) {
            pair = sockets.socketPair();
            caps.putObject("twin_socket").put("supported", true).put("fd_index", 0);
            fds = new int[] {pair[1]};
        }
        if (proposed.path("write_multiple").asBoolean(false)) {
            caps.put("write_multiple", true);
        }
        ObjectNode root = JSON.createObjectNode();
        root.set("capabilities", caps);
        byte[] json = (root + "\0").getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(4 + json.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putShort((short) VfioUser.MAJOR).putShort((short) Math.min(minor, VfioUser.MINOR)).put(json);
        if (pair != null) {
            twin = new MessageChannel(sockets, pair[0]);
        }
        negotiated = true;
        return new Negotiated(out.array(), fds);
    }

    /** The proposed capabilities from the version data (NUL-terminated JSON, optional); empty when there are none. */
    private static JsonNode capabilities(ByteBuffer body) {
        byte[] rest = new byte[body.remaining()];
        body.get(rest);
        int end = 0;
        while (end < rest.length && rest[end] != 0) {
            end++;
        }
        String text = new String(rest, 0, end, StandardCharsets.UTF_8).strip();
        if (text.isEmpty()) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode root = JSON.readTree(text);
            if (root == null || !root.isObject()) {
                throw new Refused(VfioUser.EINVAL, "version data is not a JSON object");
            }
            JsonNode caps = root.path("capabilities");
            if (!caps.isMissingNode() && !caps.isObject()) {
                throw new Refused(VfioUser.EINVAL, "capabilities is not a JSON object");
            }
            return caps.isObject() ? caps : JSON.createObjectNode();
        } catch (IOException e) {
            throw new Refused(VfioUser.EINVAL, "version data is not JSON: " + e.getMessage());
        }
    }

    private byte[] dmaMap(ByteBuffer body, int[] fds) {
        if (fds.length > 1) {
            closeAll(fds);
            throw new Refused(VfioUser.EINVAL, fds.length + " descriptors with one DMA window");
        }
        int fd = fds.length == 1 ? fds[0] : -1;
        long address;
        long size;
        int flags;
        long offset;
        try {
            body.getInt();
            flags = body.getInt();
            offset = body.getLong();
            address = body.getLong();
            size = body.getLong();
        } catch (BufferUnderflowException e) {
            closeAll(fds);
            throw e;
        }
        int errno = memory.map(flags, offset, address, size, fd);
        if (errno != 0) {
            throw new Refused(errno, String.format("DMA window 0x%x+0x%x", address, size));
        }
        if (fd < 0 && function.vfio() != null) {
            LOG.log(Level.WARNING, "%s: DMA window 0x%x+0x%x came without a descriptor: the device cannot reach it "
                    + "(give the VM shared memory, e.g. QEMU's memory-backend-memfd with share=on)", name, address, size);
        }
        return new byte[0];
    }

    private byte[] dmaUnmap(ByteBuffer body, byte[] payload) {
        body.getInt();
        int flags = body.getInt();
        long address = body.getLong();
        long size = body.getLong();
        if (flags != 0) {
            throw new Refused(VfioUser.EINVAL, "DMA_UNMAP flags 0x" + Integer.toHexString(flags) + " (dirty page bitmaps are not served)");
        }
        int errno = memory.unmap(address, size);
        if (errno != 0) {
            throw new Refused(errno, String.format("no DMA window is exactly 0x%x+0x%x", address, size));
        }
        return Arrays.copyOf(payload, 24);
    }

    private byte[] deviceInfo(ByteBuffer body) {
        int argsz = body.getInt();
        if (argsz < 16) {
            throw new Refused(VfioUser.EINVAL, "argsz " + argsz + " is less than the 16 bytes of the reply");
        }
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(16)
                .putInt(VfioUser.DEVICE_FLAGS_RESET | VfioUser.DEVICE_FLAGS_PCI)
                .putInt(VfioUser.PCI_NUM_REGIONS).putInt(VfioUser.PCI_NUM_IRQS).array();
    }

    private ServedFunction.Region regionOf(ByteBuffer body) {
        int index = body.getInt(8);
        if (index < 0 || index >= VfioUser.PCI_NUM_REGIONS) {
            throw new Refused(VfioUser.EINVAL, "region " + index + " (there are " + VfioUser.PCI_NUM_REGIONS + ")");
        }
        return function.region(index);
    }

    private byte[] regionInfo(ByteBuffer body, ServedFunction.Region region) {
        int argsz = body.getInt(0);
        if (argsz < VfioUser.REGION_INFO_SIZE) {
            throw new Refused(VfioUser.EINVAL, "argsz " + argsz + " is less than the 32 bytes of the region info");
        }
        int caps = region.areas().isEmpty() ? 0 : SPARSE_HEADER + SPARSE_AREA * region.areas().size();
        int full = VfioUser.REGION_INFO_SIZE + caps;
        boolean whole = argsz >= full;
        ByteBuffer out = ByteBuffer.allocate(whole ? full : VfioUser.REGION_INFO_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(full).putInt(region.flags()).putInt(region.index()).putInt(caps != 0 && whole ? VfioUser.REGION_INFO_SIZE : 0)
                .putLong(region.size()).putLong(region.offset());
        if (caps != 0 && whole) {
            out.putShort((short) VfioUser.CAP_SPARSE_MMAP).putShort((short) 1).putInt(0)
                    .putInt(region.areas().size()).putInt(0);
            for (ServedFunction.Area area : region.areas()) {
                out.putLong(area.offset()).putLong(area.size());
            }
        }
        return out.array();
    }

    private byte[] irqInfo(ByteBuffer body) {
        int argsz = body.getInt(0);
        int index = body.getInt(8);
        if (argsz < 16 || index < 0 || index >= VfioUser.PCI_NUM_IRQS) {
            throw new Refused(VfioUser.EINVAL, "argsz " + argsz + ", index " + index);
        }
        ServedFunction.Irq irq = function.irq(index);
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(16).putInt(irq.flags()).putInt(index)
                .putInt(irq.count()).array();
    }

    private byte[] setIrqs(ByteBuffer body, int[] fds) {
        int flags;
        int index;
        int start;
        int count;
        byte[] bools;
        try {
            body.getInt();
            flags = body.getInt();
            index = body.getInt();
            start = body.getInt();
            count = body.getInt();
            bools = new byte[body.remaining()];
            body.get(bools);
        } catch (BufferUnderflowException e) {
            closeAll(fds);
            throw e;
        }
        int errno = interrupts.set(flags, index, start, count, bools, fds);
        if (errno != 0) {
            throw new Refused(errno, String.format("flags 0x%x index %d vectors %d+%d with %d eventfds", flags, index,
                    start, count, fds.length));
        }
        return new byte[0];
    }

    /** The region an access names, checked: it exists, allows the access, and holds the range. */
    private ServedFunction.Region access(int index, long offset, long count, int flag) {
        if (index < 0 || index >= VfioUser.PCI_NUM_REGIONS) {
            throw new Refused(VfioUser.EINVAL, "region " + index);
        }
        ServedFunction.Region region = function.region(index);
        if ((region.flags() & flag) == 0) {
            throw new Refused(VfioUser.EINVAL, "region " + index + " is not " + (flag == VfioUser.REGION_READ_FLAG ? "readable" : "writeable"));
        }
        if (count < 0 || count > VfioUser.MAX_DATA_XFER || offset < 0 || offset > region.size() - count) {
            throw new Refused(VfioUser.EINVAL, String.format("0x%x+0x%x is outside region %d (0x%x bytes) or over the "
                    + "transfer limit", offset, count, index, region.size()));
        }
        return region;
    }

    private byte[] regionRead(ByteBuffer body) {
        long offset = body.getLong();
        int index = body.getInt();
        long count = body.getInt() & 0xffff_ffffL;
        access(index, offset, count, VfioUser.REGION_READ_FLAG);
        byte[] data = new byte[(int) count];
        function.read(index, offset, data);
        return ByteBuffer.allocate(16 + data.length).order(ByteOrder.LITTLE_ENDIAN).putLong(offset).putInt(index)
                .putInt((int) count).put(data).array();
    }

    private byte[] regionWrite(ByteBuffer body, byte[] payload) {
        long offset = body.getLong();
        int index = body.getInt();
        long count = body.getInt() & 0xffff_ffffL;
        access(index, offset, count, VfioUser.REGION_WRITE_FLAG);
        if (body.remaining() != count) {
            throw new Refused(VfioUser.EINVAL, "count " + count + " but " + body.remaining() + " bytes of data");
        }
        function.write(index, offset, payload, body.position(), (int) count);
        return Arrays.copyOf(payload, 16);
    }

    /** Each write checked before any is done, so a bad one leaves the device as it was. */
    private byte[] writeMulti(ByteBuffer body, byte[] payload) {
        long writes = body.getLong();
        if (writes < 0 || writes > body.remaining() / 24 || body.remaining() != writes * 24) {
            throw new Refused(VfioUser.EINVAL, writes + " writes in " + body.remaining() + " bytes");
        }
        int first = body.position();
        for (long i = 0; i < writes; i++) {
            int at = first + (int) (24 * i);
            long count = body.getInt(at + 12) & 0xffff_ffffL;
            if (count > 8) {
                throw new Refused(VfioUser.EINVAL, "write " + i + " of " + count + " bytes (at most 8)");
            }
            access(body.getInt(at + 8), body.getLong(at), count, VfioUser.REGION_WRITE_FLAG);
        }
        for (long i = 0; i < writes; i++) {
            int at = first + (int) (24 * i);
            function.write(body.getInt(at + 8), body.getLong(at), payload, at + 16, body.getInt(at + 12));
        }
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(writes).array();
    }

    @Override
    public byte[] read(long address, int count) {
        byte[] data = new byte[count];
        for (int at = 0; at < count; ) {
            int chunk = Math.min(count - at, clientMaxData);
            byte[] request = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(address + at).putLong(chunk).array();
            Message reply = ask(VfioUser.DMA_READ, request);
            if (reply.payload().length < 16 + chunk) {
                throw new IllegalStateException("DMA_READ reply of " + reply.payload().length + " bytes for " + chunk);
            }
            System.arraycopy(reply.payload(), 16, data, at, chunk);
            at += chunk;
        }
        return data;
    }

    @Override
    public void write(long address, byte[] data) {
        for (int at = 0; at < data.length; ) {
            int chunk = Math.min(data.length - at, clientMaxData);
            byte[] request = ByteBuffer.allocate(16 + chunk).order(ByteOrder.LITTLE_ENDIAN).putLong(address + at)
                    .putLong(chunk).put(data, at, chunk).array();
            ask(VfioUser.DMA_WRITE, request);
            at += chunk;
        }
    }

    /** Sends the client a command and waits for its reply; an error reply or none within 10 s throws. */
    private Message ask(int command, byte[] payload) {
        int id = nextId.incrementAndGet() & 0xffff;
        MessageChannel over = twin;
        Message reply;
        if (over != null) {
            synchronized (over) {
                over.send(id, command, VfioUser.TYPE_COMMAND, 0, payload);
                reply = over.read();
            }
            if (reply == null) {
                throw new IllegalStateException("the client closed the twin socket");
            }
            closeAll(reply.fds());
        } else {
            CompletableFuture<Message> future = new CompletableFuture<>();
            awaiting.put(id, future);
            channel.send(id, command, VfioUser.TYPE_COMMAND, 0, payload);
            try {
                reply = future.get(CLIENT_REPLY_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for the client", e);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException(VfioUser.command(command) + ": no reply from the client", e);
            } finally {
                awaiting.remove(id);
            }
        }
        if (reply.failed() || reply.id() != id) {
            throw new IllegalStateException(VfioUser.command(command) + " failed in the client: errno " + reply.error());
        }
        return reply;
    }

    ClientMemory memory() {
        return memory;
    }

    ClientInterrupts interrupts() {
        return interrupts;
    }

    long served() {
        return served.get();
    }

    long refused() {
        return refused.get();
    }

    /** Ends the connection from this side: the read loop sees end of stream and takes the client's state down. */
    void disconnect() {
        sockets.shutdown(channel.fd());
    }

    private void end() {
        awaiting.values().forEach(f -> f.completeExceptionally(new IllegalStateException("the client went")));
        awaiting.clear();
        try {
            memory.close();
        } finally {
            interrupts.close();
            MessageChannel t = twin;
            if (t != null) {
                sockets.close(t.fd());
            }
            sockets.close(channel.fd());
        }
    }

    private void closeAll(int[] fds) {
        for (int fd : fds) {
            try {
                sockets.close(fd);
            } catch (NativeCallFailed e) {
                LOG.log(Level.WARNING, "%s: %s", name, e.getMessage());
            }
        }
    }
}
