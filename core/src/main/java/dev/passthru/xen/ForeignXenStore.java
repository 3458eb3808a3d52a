package dev.passthru.xen;

import dev.passthru.os.CallMemory;
import dev.passthru.os.NativeCallFailed;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@link XenStore} on Debian's libxenstore 4.17 through java.lang.foreign. Arguments are laid
 * out in the calling thread's scratch, the count or length a call returns in its first 8 bytes
 * and the NUL-terminated strings after it. What libxenstore returns (a value, a directory's
 * names, a watch event) is one malloc'd block, copied out and freed here before the call returns.
 * libxenstore is built with threads: it serialises the requests on its handle, and once a watch
 * is set its own reader thread queues the events and makes {@code xs_fileno}'s pipe readable
 * while any are queued, so one thread may wait for events while others read and write.
 */
public final class ForeignXenStore implements XenStore {

    /** The transaction id of a call made outside any transaction. */
    private static final int XBT_NULL = 0;
    private static final int ENOENT = 2;
    private static final int EAGAIN = 11;
    /** The scratch's first bytes: the unsigned int a call returns a count or length in. */
    private static final long STRINGS_AT = 8;

    private final XenFunction read;
    private final XenFunction write;
    private final XenFunction directory;
    private final XenFunction remove;
    private final XenFunction watch;
    private final XenFunction unwatch;
    private final XenFunction checkWatch;
    private final XenFunction close;
    private final XenFunction free;
    private final MemorySegment xs;
    private final int watchFd;
    private final String watchFdName;

    /** Opens a connection to xenstored (its socket, or /dev/xen/xenbus where it runs in another domain). */
    public ForeignXenStore() {
        SymbolLookup store = XenLibraries.load(XenLibraries.STORE);
        read = new XenFunction(store, "xs_read", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
        write = new XenFunction(store, "xs_write", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        directory = new XenFunction(store, "xs_directory", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
        remove = new XenFunction(store, "xs_rm", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, JAVA_INT, ADDRESS));
        watch = new XenFunction(store, "xs_watch", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, ADDRESS, ADDRESS));
        unwatch = new XenFunction(store, "xs_unwatch", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, ADDRESS, ADDRESS));
        checkWatch = new XenFunction(store, "xs_check_watch", FunctionDescriptor.of(ADDRESS, ADDRESS));
        close = new XenFunction(store, "xs_close", FunctionDescriptor.ofVoid(ADDRESS));
        free = new XenFunction(Linker.nativeLinker().defaultLookup(), "free", FunctionDescriptor.ofVoid(ADDRESS));
        xs = new XenFunction(store, "xs_open", FunctionDescriptor.of(ADDRESS, JAVA_LONG)).pointer(() -> "", 0L);
        watchFd = new XenFunction(store, "xs_fileno", FunctionDescriptor.of(JAVA_INT, ADDRESS)).call(() -> "", xs);
        watchFdName = "xenstore watch fd " + watchFd;
    }

    @Override
    public Optional<String> read(String path) {
        MemorySegment scratch = scratch(path);
        return lookUp(read, path, scratch).map(value -> {
            byte[] bytes = value.reinterpret(scratch.get(JAVA_INT, 0)).toArray(JAVA_BYTE);
            free.run(value);
            return new String(bytes, StandardCharsets.UTF_8);
        });
    }

    @Override
    public void write(String path, String value) {
        byte[] data = value.getBytes(StandardCharsets.UTF_8);
        MemorySegment scratch = scratch(path, value);
        MemorySegment pathAt = string(scratch, STRINGS_AT, path);
        MemorySegment valueAt = string(scratch, STRINGS_AT + pathAt.byteSize(), value);
        write.succeeds(() -> path, xs, XBT_NULL, pathAt, valueAt, data.length);
    }

    @Override
    public List<String> directory(String path) {
        MemorySegment scratch = scratch(path);
        return lookUp(directory, path, scratch).map(names -> {
            List<String> children = strings(names, Integer.toUnsignedLong(scratch.get(JAVA_INT, 0)));
            free.run(names);
            return children;
        }).orElse(List.of());
    }

    /**
     * xs_read or xs_directory on {@code path}, outside any transaction: the block it returned, its
     * length or count left in the scratch's first bytes; empty where there is no node (ENOENT).
     */
    private Optional<MemorySegment> lookUp(XenFunction function, String path, MemorySegment scratch) {
        try {
            return Optional.of(function.pointer(() -> path, xs, XBT_NULL, string(scratch, STRINGS_AT, path), scratch));
        } catch (NativeCallFailed e) {
            if (e.errno() == ENOENT) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public void remove(String path) {
        MemorySegment scratch = scratch(path);
        try {
            remove.succeeds(() -> path, xs, XBT_NULL, string(scratch, STRINGS_AT, path));
        } catch (NativeCallFailed e) {
            if (e.errno() != ENOENT) {
                throw e;
            }
        }
    }

    @Override
    public void watch(String path, String token) {
        MemorySegment scratch = scratch(path, token);
        MemorySegment pathAt = string(scratch, STRINGS_AT, path);
        watch.succeeds(() -> path + ", token " + token, xs, pathAt, string(scratch, STRINGS_AT + pathAt.byteSize(), token));
    }

    @Override
    public void unwatch(String path, String token) {
        MemorySegment scratch = scratch(path, token);
        MemorySegment pathAt = string(scratch, STRINGS_AT, path);
        unwatch.succeeds(() -> path + ", token " + token, xs, pathAt, string(scratch, STRINGS_AT + pathAt.byteSize(), token));
    }

    /** Takes a queued event first: the pipe may read as empty while libxenstore still holds events. */
    @Override
    public Optional<WatchEvent> nextEvent(int timeoutMillis) {
        Optional<WatchEvent> queued = queuedEvent();
        if (queued.isPresent() || !FdPoll.readable(watchFd, timeoutMillis, watchFdName)) {
            return queued;
        }
        return queuedEvent();
    }

    /** xs_check_watch: the event at the head of libxenstore's queue, without waiting (EAGAIN when there is none). */
    private Optional<WatchEvent> queuedEvent() {
        MemorySegment event;
        try {
            event = checkWatch.pointer(() -> "", xs);
        } catch (NativeCallFailed e) {
            if (e.errno() == EAGAIN) {
                return Optional.empty();
            }
            throw e;
        }
        List<String> pathAndToken = strings(event, 2);
        free.run(event);
        return Optional.of(new WatchEvent(pathAndToken.get(0), pathAndToken.get(1)));
    }

    @Override
    public void close() {
        close.run(xs);
    }

    /** The calling thread's scratch, with room for the count and for each text NUL-terminated (UTF-8 takes at most 3 bytes a char). */
    private static MemorySegment scratch(String... texts) {
        long size = STRINGS_AT;
        for (String text : texts) {
            size += 3L * text.length() + 1;
        }
        return CallMemory.current().scratch(size);
    }

    /** {@code text} as a C string at {@code at} in the scratch: the slice holds it and its NUL. */
    private static MemorySegment string(MemorySegment scratch, long at, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        MemorySegment slice = scratch.asSlice(at, bytes.length + 1L);
        MemorySegment.copy(bytes, 0, slice, JAVA_BYTE, 0, bytes.length);
        slice.set(JAVA_BYTE, bytes.length, (byte) 0);
        return slice;
    }

    /** The first {@code count} C strings of an array of pointers libxenstore returned. */
    private static List<String> strings(MemorySegment array, long count) {
        MemorySegment pointers = array.reinterpret(count * ADDRESS.byteSize());
        List<String> strings = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) {
            strings.add(pointers.getAtIndex(ADDRESS, i).reinterpret(Long.MAX_VALUE).getString(0, StandardCharsets.UTF_8));
        }
        return strings;
    }
}
