package dev.passthru.xen;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.passthru.xen.XenControlContract.fails;
import static org.assertj.core.api.Assertions.assertThat;

class DomainWatchTest {

    private static final int WAIT_MILLIS = 5_000;
    private static final int QUIET_MILLIS = 50;

    private final FakeXenControl xen = new FakeXenControl();
    private final FakeXenStore store = new FakeXenStore();
    private final DomainWatch watch = new DomainWatch(store, xen);

    @AfterEach
    void close() {
        if (!store.closed()) {
            watch.close();
        }
    }

    /** The event xenstore queues when the watch is set, answered with nothing watched. */
    private void settle() {
        assertThat(watch.awaitGone(WAIT_MILLIS)).isEmpty();
    }

    @Test
    void a_watched_domain_that_is_destroyed_is_reported_once() {
        watch.add(1);
        watch.add(2);
        assertThat(watch.awaitGone(WAIT_MILLIS)).as("both alive when watched").isEmpty();
        xen.destroy(2);
        store.releaseDomain();
        assertThat(watch.awaitGone(WAIT_MILLIS)).containsExactly(2);
        store.releaseDomain();
        assertThat(watch.awaitGone(WAIT_MILLIS)).as("2 is no longer watched, 1 is alive").isEmpty();
    }

    @Test
    void a_domain_dead_before_it_was_watched_is_reported_at_the_next_wait_without_an_event() {
        settle();
        xen.destroy(1);
        watch.add(1);
        assertThat(watch.awaitGone(0)).containsExactly(1);
    }

    @Test
    void a_guest_that_only_shut_down_is_not_gone_until_its_domain_is_destroyed() {
        watch.add(1);
        settle();
        xen.shutDown.add(1);
        store.releaseDomain();
        assertThat(watch.awaitGone(WAIT_MILLIS)).isEmpty();
        xen.destroy(1);
        store.releaseDomain();
        assertThat(watch.awaitGone(WAIT_MILLIS)).containsExactly(1);
    }

    @Test
    void a_domain_no_longer_watched_is_not_reported() {
        watch.add(1);
        settle();
        watch.remove(1);
        xen.destroy(1);
        store.releaseDomain();
        assertThat(watch.awaitGone(WAIT_MILLIS)).isEmpty();
    }

    @Test
    void without_a_release_the_wait_ends_empty_when_its_time_is_up() {
        watch.add(1);
        settle();
        xen.destroy(1);
        long start = System.nanoTime();
        assertThat(watch.awaitGone(QUIET_MILLIS)).isEmpty();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(QUIET_MILLIS - 5);
    }

    @Test
    void releases_queued_together_are_answered_by_one_look() {
        watch.add(1);
        watch.add(2);
        settle();
        xen.destroy(1);
        store.releaseDomain();
        xen.destroy(2);
        store.releaseDomain();
        store.releaseDomain();
        assertThat(watch.awaitGone(WAIT_MILLIS)).containsExactly(1, 2);
        assertThat(store.nextEvent(0)).as("the queue was drained").isEmpty();
    }

    @Test
    void an_event_of_another_watch_on_the_connection_is_passed_over() {
        watch.add(1);
        settle();
        store.watch("/local/domain/0/other", "other");
        xen.destroy(1);
        assertThat(watch.awaitGone(WAIT_MILLIS)).as("the other watch's first event").isEmpty();
        store.releaseDomain();
        assertThat(watch.awaitGone(WAIT_MILLIS)).containsExactly(1);
    }

    @Test
    void a_thread_waiting_wakes_when_a_domain_is_released() throws Exception {
        watch.add(2);
        settle();
        CompletableFuture<Set<Integer>> waiting = CompletableFuture.supplyAsync(() -> watch.awaitGone(WAIT_MILLIS));
        xen.destroy(2);
        store.releaseDomain();
        assertThat(waiting.get(WAIT_MILLIS, TimeUnit.MILLISECONDS)).containsExactly(2);
    }

    @Test
    void closing_takes_the_watch_back_and_closes_the_connection() {
        watch.close();
        assertThat(store.closed()).isTrue();
        fails(() -> store.unwatch(XenStore.RELEASE_DOMAIN, DomainWatch.TOKEN), "ENOENT");
    }
}
