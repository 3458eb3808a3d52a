package dev.passthru.xen;

import dev.passthru.os.NativeCallFailed;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A stand-in for xenstored and libxenstore in unit tests, doing what xenstored 4.17 does (its
 * contract, {@link XenStoreContract}, says so and can be run on the real one): a tree whose
 * nodes all have a value, missing parents made with empty values, children listed in the order
 * they were made; paths checked as xenstored checks them (EINVAL); a watch fires once when set,
 * then for every change at or below its path, and with its own path when a parent's removal
 * takes its node; {@code @}-paths fire only when the test says so ({@link #releaseDomain}).
 * Events queue in order, as one connection's do. Unlike xenstored it takes no relative paths:
 * passthru writes none.
 */
final class FakeXenStore implements XenStore {

    static final int ENOENT = 2;
    static final int EEXIST = 17;
    static final int EINVAL = 22;
    /** The characters xenstored allows in a node's name. */
    private static final Pattern ALLOWED = Pattern.compile("[A-Za-z0-9/_@-]+");

    private record Watch(String path, String token) {
    }

    private final Map<String, String> nodes = new LinkedHashMap<>(Map.of("/", ""));
    private final List<Watch> watches = new ArrayList<>();
    private final LinkedBlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
    private boolean closed;

    /** A domain crashed, shut down or was destroyed: every {@code @releaseDomain} watch fires. */
    synchronized void releaseDomain() {
        for (Watch watch : watches) {
            if (watch.path().equals(RELEASE_DOMAIN)) {
                events.add(new WatchEvent(RELEASE_DOMAIN, watch.token()));
            }
        }
    }

    synchronized boolean closed() {
        return closed;
    }

    @Override
    public synchronized Optional<String> read(String path) {
        check("xs_read", path);
        return Optional.ofNullable(nodes.get(path));
    }

    @Override
    public synchronized void write(String path, String value) {
        check("xs_write", path);
        for (int slash = path.indexOf('/', 1); slash > 0; slash = path.indexOf('/', slash + 1)) {
            nodes.putIfAbsent(path.substring(0, slash), "");
        }
        nodes.put(path, value);
        for (Watch watch : watches) {
            if (below(path, watch.path())) {
                events.add(new WatchEvent(path, watch.token()));
            }
        }
    }

    @Override
    public synchronized List<String> directory(String path) {
        check("xs_directory", path);
        List<String> children = new ArrayList<>();
        for (String node : nodes.keySet()) {
            int last = node.lastIndexOf('/');
            if (!node.equals("/") && (last == 0 ? "/" : node.substring(0, last)).equals(path)) {
                children.add(node.substring(last + 1));
            }
        }
        return children;
    }

    @Override
    public synchronized void remove(String path) {
        check("xs_rm", path);
        if (path.equals("/")) {
            throw new NativeCallFailed("xs_rm", path, EINVAL);
        }
        if (!nodes.containsKey(path)) {
            return;
        }
        List<String> removed = nodes.keySet().stream().filter(node -> below(node, path)).toList();
        nodes.keySet().removeAll(removed);
        for (Watch watch : watches) {
            if (below(path, watch.path())) {
                events.add(new WatchEvent(path, watch.token()));
            } else if (removed.contains(watch.path())) {
                events.add(new WatchEvent(watch.path(), watch.token()));
            }
        }
    }

    @Override
    public synchronized void watch(String path, String token) {
        if (!path.startsWith("@")) {
            check("xs_watch", path);
        }
        Watch watch = new Watch(path, token);
        if (watches.contains(watch)) {
            throw new NativeCallFailed("xs_watch", path + ", token " + token, EEXIST);
        }
        watches.add(watch);
        events.add(new WatchEvent(path, token));
    }

    @Override
    public synchronized void unwatch(String path, String token) {
        if (!watches.remove(new Watch(path, token))) {
            throw new NativeCallFailed("xs_unwatch", path + ", token " + token, ENOENT);
        }
    }

    @Override
    public Optional<WatchEvent> nextEvent(int timeoutMillis) {
        try {
            return Optional.ofNullable(events.poll(timeoutMillis, TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
    }

    /** xenstored's rule for a node's name: absolute, no empty component, no trailing slash but the root's, allowed characters. */
    private static void check(String call, String path) {
        boolean valid = path.startsWith("/") && !path.contains("//") && (path.equals("/") || !path.endsWith("/"))
                && ALLOWED.matcher(path).matches();
        if (!valid) {
            throw new NativeCallFailed(call, path, EINVAL);
        }
    }

    /** Whether {@code node} is {@code ancestor} or lies below it, as xenstored matches a watch. */
    private static boolean below(String node, String ancestor) {
        return node.equals(ancestor) || (ancestor.equals("/") && node.startsWith("/")) || node.startsWith(ancestor + "/");
    }
}
