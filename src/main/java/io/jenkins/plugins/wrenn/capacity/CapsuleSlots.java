package io.jenkins.plugins.wrenn.capacity;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;

/**
 * At most {@link #max()} capsules at once, each held by a holder (a key such as a record id).
 * Those that ask while all slots are taken wait in the order they asked; a wait is a future, so a
 * Pipeline step waits without a thread, and cancelling it (an abort) leaves the queue at once.
 * Releasing is idempotent. Thread-safe.
 */
public final class CapsuleSlots {

    private final Set<String> holders = new HashSet<>();
    private final Deque<Request> waiting = new ArrayDeque<>();
    private int max;

    /** @param max slots, 0 for no limit */
    public CapsuleSlots(int max) {
        this.max = Math.max(0, max);
    }

    /** One holder's ask for a slot. */
    public final class Request {
        private final String holder;
        private final CompletableFuture<Void> granted = new CompletableFuture<>();
        private final int inUseWhenAsked;
        private final int maxWhenAsked;

        private Request(String holder, int inUse, int max) {
            this.holder = holder;
            this.inUseWhenAsked = inUse;
            this.maxWhenAsked = max;
        }

        /** Completes when the slot is the holder's; cancelled by {@link #cancel()}. */
        public CompletableFuture<Void> granted() {
            return granted;
        }

        /** Whether the slot was not free at once: the caller says so once in its log. */
        public boolean mustWait() {
            return !granted.isDone();
        }

        /** Slots in use when it asked. */
        public int inUseWhenAsked() {
            return inUseWhenAsked;
        }

        /** The limit when it asked. */
        public int maxWhenAsked() {
            return maxWhenAsked;
        }

        /** The log line that says the build waits, e.g. {@code [wrenn] waiting for a capsule slot: 4 of 4 in use}. */
        public String waitLine() {
            return Messages.Slots_Waiting(Integer.toString(inUseWhenAsked), Integer.toString(maxWhenAsked));
        }

        /** Gives up the wait (or the slot, if it was granted meanwhile). */
        public void cancel() {
            synchronized (CapsuleSlots.this) {
                waiting.remove(this);
            }
            if (!granted.completeExceptionally(new CancellationException("no longer waiting for a capsule slot"))) {
                release(holder);
            }
        }
    }

    /** Asks for a slot for this holder; granted at once when one is free and nobody waits before it. */
    public synchronized Request request(String holder) {
        Request r = new Request(holder, holders.size(), max);
        if (holders.contains(holder)) {
            r.granted.complete(null);
        } else if (waiting.isEmpty() && free()) {
            holders.add(holder);
            r.granted.complete(null);
        } else {
            waiting.addLast(r);
        }
        return r;
    }

    /** Takes a slot without waiting, even above the limit: for a capsule held already (after a restart). */
    public synchronized void occupy(String holder) {
        holders.add(holder);
    }

    /** Gives the holder's slot back, to the first that waits; nothing when it held none. */
    public void release(String holder) {
        Request next;
        synchronized (this) {
            if (!holders.remove(holder)) {
                return;
            }
            next = grantNext();
        }
        complete(next);
    }

    /** Changes the limit; a higher one lets waiting holders in at once. */
    public void setMax(int newMax) {
        Deque<Request> granted = new ArrayDeque<>();
        synchronized (this) {
            max = Math.max(0, newMax);
            Request next;
            while ((next = grantNext()) != null) {
                granted.add(next);
            }
        }
        granted.forEach(CapsuleSlots::complete);
    }

    /** Forgets every holder and gives up every wait: for a Jenkins that shuts down. */
    public void clear() {
        Deque<Request> dropped;
        synchronized (this) {
            holders.clear();
            dropped = new ArrayDeque<>(waiting);
            waiting.clear();
        }
        dropped.forEach(r -> r.granted.completeExceptionally(new CancellationException("Jenkins is shutting down")));
    }

    public synchronized int max() {
        return max;
    }

    public synchronized int inUse() {
        return holders.size();
    }

    public synchronized int waiting() {
        return waiting.size();
    }

    private boolean free() {
        return max == 0 || holders.size() < max;
    }

    /** Under the lock: the next waiting request, now holding its slot; null when none may go. */
    private Request grantNext() {
        if (waiting.isEmpty() || !free()) {
            return null;
        }
        Request r = waiting.removeFirst();
        holders.add(r.holder);
        return r;
    }

    /** Outside the lock: callbacks of the future run here. A request cancelled meanwhile gives its slot back. */
    private static void complete(Request r) {
        if (r != null && !r.granted.complete(null)) {
            r.cancel();
        }
    }
}
