package dev.passthru.xen;

import dev.passthru.os.NativeCallFailed;

import java.util.List;
import java.util.Optional;

/**
 * A connection to xenstore, the tree of small text values that Xen's tools and device models
 * share, as libxenstore 4.17 offers it: absolute paths such as {@code /local/domain/0/backend},
 * every node holding a value and children at once, and watches that queue an event for the
 * watcher when a node at or below the watched path changes. Paths that begin with {@code @}
 * are the daemon's special events, of which passthru watches {@code @releaseDomain}: it fires
 * when some domain shuts down or is destroyed, without saying which. Failures throw
 * {@link NativeCallFailed} with xenstored's errno (EINVAL for a path xenstore does not allow).
 */
public interface XenStore extends AutoCloseable {

    /** The special path whose watch fires whenever any domain crashes, shuts down or is destroyed. */
    String RELEASE_DOMAIN = "@releaseDomain";

    /** What a watch queued: the path that changed (the watched one where a parent was removed) and the watch's token. */
    record WatchEvent(String path, String token) {
    }

    /** The node's value, empty when there is no node at {@code path}. */
    Optional<String> read(String path);

    /** Sets the node's value, making the node and any missing parents (whose values are empty). */
    void write(String path, String value);

    /** The names of the node's children in xenstore's order; no children, or no node, is an empty list. */
    List<String> directory(String path);

    /** Removes the node and everything below it; a node that is not there is no error. */
    void remove(String path);

    /**
     * Watches {@code path} and everything below it, or a special path. Xenstore queues one event
     * at once, with the watched path itself, and one for each later change.
     */
    void watch(String path, String token);

    void unwatch(String path, String token);

    /** The next queued event, waiting up to {@code timeoutMillis} (0: not at all); empty when none came. */
    Optional<WatchEvent> nextEvent(int timeoutMillis);

    @Override
    void close();
}
