package dev.passthru.xen;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static dev.passthru.xen.XenControlContract.fails;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What xenstored 4.17 and libxenstore do for the calls of {@link XenStore} that passthru relies
 * on, as the stand-in must do it too: a node never written reads as absent and has no
 * children; a write makes the missing parents with empty values; removing takes the whole
 * subtree, and removing what is not there is no error; a watch fires once when it is set, then
 * for each change at or below its path (a removed parent reports the watched path), never after
 * it is taken back; one watch per path and token (EEXIST), and only a watch that was set can be
 * taken back (ENOENT); a path with a character or a shape xenstore does not allow is refused
 * (EINVAL).
 *
 * <p>A test extends this with a store and a {@code base} path it may write below, where nothing
 * else writes or watches while the cases run; each case removes {@code base} when it ends, and
 * JUnit closes the store after it (a runner outside JUnit closes it itself). Cases name no order
 * of children: xenstored keeps one, oxenstored another.
 */
public abstract class XenStoreContract {

    /** How long a case waits for an event that must come; one that must not come is given {@link #QUIET_MILLIS}. */
    private static final int EVENT_MILLIS = 5_000;
    private static final int QUIET_MILLIS = 200;

    private final XenStore store;
    private final String base;

    protected XenStoreContract(XenStore store, String base) {
        this.store = store;
        this.base = base;
    }

    @AfterEach
    void close() {
        store.close();
    }

    private Optional<XenStore.WatchEvent> next() {
        return store.nextEvent(EVENT_MILLIS);
    }

    private static Optional<XenStore.WatchEvent> event(String path, String token) {
        return Optional.of(new XenStore.WatchEvent(path, token));
    }

    @Test
    void a_node_never_written_reads_as_absent_and_has_no_children() {
        assertThat(store.read(base + "/never")).isEmpty();
        assertThat(store.directory(base + "/never")).isEmpty();
    }

    @Test
    void a_write_reads_back_and_makes_its_parents_with_empty_values() {
        try {
            store.write(base + "/pci/0/vslots", "0x4;0x5;");
            store.write(base + "/pci/0/num_devs", "2");
            assertThat(store.read(base + "/pci/0/vslots")).contains("0x4;0x5;");
            assertThat(store.read(base + "/pci")).contains("");
            assertThat(store.directory(base)).containsExactly("pci");
            assertThat(store.directory(base + "/pci/0")).containsExactlyInAnyOrder("vslots", "num_devs");
            assertThat(store.directory(base + "/pci/0/vslots")).isEmpty();
            store.write(base + "/pci/0/vslots", "");
            assertThat(store.read(base + "/pci/0/vslots")).contains("");
        } finally {
            store.remove(base);
        }
    }

    @Test
    void removing_takes_the_whole_subtree_and_removing_what_is_not_there_is_no_error() {
        try {
            store.write(base + "/a/b/c", "1");
            store.write(base + "/d", "2");
            store.remove(base + "/a");
            assertThat(store.read(base + "/a/b/c")).isEmpty();
            assertThat(store.read(base + "/a")).isEmpty();
            assertThat(store.directory(base)).containsExactly("d");
            store.remove(base + "/a");
            store.remove(base + "/never/below");
        } finally {
            store.remove(base);
        }
        assertThat(store.read(base)).isEmpty();
    }

    @Test
    void a_watch_fires_once_when_set_then_for_each_change_at_or_below_its_path_and_not_after_it_is_taken_back() {
        try {
            store.write(base, "");
            store.watch(base, "contract");
            assertThat(next()).isEqualTo(event(base, "contract"));
            store.write(base + "/slot", "0x4;");
            assertThat(next()).isEqualTo(event(base + "/slot", "contract"));
            store.write(base, "again");
            assertThat(next()).isEqualTo(event(base, "contract"));
            store.remove(base + "/slot");
            assertThat(next()).isEqualTo(event(base + "/slot", "contract"));
            store.write(base + "-beside", "not below");
            assertThat(store.nextEvent(QUIET_MILLIS)).isEmpty();
            store.unwatch(base, "contract");
            store.write(base + "/slot", "0x5;");
            assertThat(store.nextEvent(QUIET_MILLIS)).isEmpty();
        } finally {
            store.remove(base + "-beside");
            store.remove(base);
        }
    }

    @Test
    void removing_a_parent_fires_a_watch_below_it_with_the_watched_path() {
        try {
            store.write(base + "/parent/child", "1");
            store.watch(base + "/parent/child", "below");
            assertThat(next()).isEqualTo(event(base + "/parent/child", "below"));
            store.remove(base + "/parent");
            assertThat(next()).isEqualTo(event(base + "/parent/child", "below"));
            store.unwatch(base + "/parent/child", "below");
        } finally {
            store.remove(base);
        }
    }

    @Test
    void a_watch_on_release_domain_fires_once_when_set() {
        store.watch(XenStore.RELEASE_DOMAIN, "released");
        try {
            assertThat(next()).isEqualTo(event(XenStore.RELEASE_DOMAIN, "released"));
        } finally {
            store.unwatch(XenStore.RELEASE_DOMAIN, "released");
        }
    }

    @Test
    void a_path_and_token_are_watched_once_and_only_a_watch_set_is_taken_back() {
        store.watch(base, "once");
        try {
            assertThat(next()).isEqualTo(event(base, "once"));
            fails(() -> store.watch(base, "once"), "EEXIST");
        } finally {
            store.unwatch(base, "once");
        }
        fails(() -> store.unwatch(base, "once"), "ENOENT");
    }

    @Test
    void a_path_xenstore_does_not_allow_is_refused() {
        fails(() -> store.write(base + "/with space", "x"), "EINVAL");
        fails(() -> store.write(base + "/", "x"), "EINVAL");
        fails(() -> store.read(base + "//x"), "EINVAL");
        assertThat(store.read(base)).isEmpty();
    }
}
