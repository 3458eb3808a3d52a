package dev.passthru.xen;

import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Tells which of the domains passthru serves have died. Xenstore's {@code @releaseDomain}
 * fires when any domain crashes, shuts down or is destroyed, and never says which, so each
 * event is followed by asking Xen ({@link XenControl#domainState}) about every watched
 * domain; events already queued behind it are taken at once and answered by the same
 * question. A domain counts as gone once Xen is destroying it or has: a guest that only shut
 * down still holds its devices, and its destruction fires the watch again. A domain added to
 * the watch is asked about at the next wait whatever fires, so one that died before it was
 * added is not missed. The watch owns its xenstore connection: a connection's events go to
 * whoever takes them first.
 */
public final class DomainWatch implements AutoCloseable {

    /** The token this watch's events carry; events of other watches on the same connection are passed over. */
    static final String TOKEN = "passthru-domain-watch";

    private final XenStore store;
    private final XenControl xen;
    private final Set<Integer> watched = new TreeSet<>();
    private final Set<Integer> unchecked = new TreeSet<>();

    /** Starts watching {@code @releaseDomain} on {@code store}, which it closes with itself. */
    public DomainWatch(XenStore store, XenControl xen) {
        this.store = store;
        this.xen = xen;
        store.watch(XenStore.RELEASE_DOMAIN, TOKEN);
    }

    /** Watches the domain from now on; safe to call while another thread waits in {@link #awaitGone}. */
    public synchronized void add(int domain) {
        watched.add(domain);
        unchecked.add(domain);
    }

    /** Stops watching the domain (its functions were detached, or it was reported gone). */
    public synchronized void remove(int domain) {
        watched.remove(domain);
        unchecked.remove(domain);
    }

    /**
     * Waits up to {@code timeoutMillis} for a domain's release, then returns the watched domains
     * Xen says are gone and watches them no more; empty when none died. One thread waits here.
     */
    public Set<Integer> awaitGone(int timeoutMillis) {
        if (!hasUnchecked() && !released(store.nextEvent(timeoutMillis))) {
            return Set.of();
        }
        while (store.nextEvent(0).isPresent()) {
            // an event queued behind the first says no more than it did: one look at Xen answers all
        }
        return takeGone();
    }

    private synchronized boolean hasUnchecked() {
        return !unchecked.isEmpty();
    }

    private static boolean released(Optional<XenStore.WatchEvent> event) {
        return event.isPresent() && event.get().token().equals(TOKEN);
    }

    private synchronized Set<Integer> takeGone() {
        unchecked.clear();
        Set<Integer> gone = new TreeSet<>();
        for (int domain : watched) {
            if (xen.domainState(domain) == XenControl.DomainState.GONE) {
                gone.add(domain);
            }
        }
        watched.removeAll(gone);
        return gone;
    }

    /** Stops the watch and closes the connection. */
    @Override
    public void close() {
        try {
            store.unwatch(XenStore.RELEASE_DOMAIN, TOKEN);
        } finally {
            store.close();
        }
    }
}
