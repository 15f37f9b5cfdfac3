package io.jenkins.plugins.wrenn.api;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How much output may wait for the listeners of one client's streams before a stream stops
 * reading from its connection.
 *
 * <p>Stopping is kept for when memory is at stake, because resuming is not free: the JDK's
 * WebSocket client can drop a stream's last message when reading resumes after a stop and the
 * server has ended the connection meanwhile (see {@link ProcessStream}). So a listener that is
 * merely behind (a busy machine, a burst of output) never stops its stream; a stream stops once
 * its own listener is {@code streamLimit} characters behind, or once the listeners of all streams
 * together are {@code clientLimit} behind (a log storage that stalls every build at once) and its
 * own backlog is one that its listener can work off. It reads again once its listener has caught
 * up to {@link #resumeBelow()}.
 */
final class ListenerBacklog {

    /** 4 Mi characters: up to 8 MiB of heap for one stream. */
    static final int DEFAULT_STREAM_LIMIT = 4 * 1024 * 1024;

    /** 16 Mi characters: up to 32 MiB of heap for all streams of a client. */
    static final long DEFAULT_CLIENT_LIMIT = 16L * 1024 * 1024;

    private final int streamLimit;
    private final long clientLimit;
    private final int resumeBelow;
    private final AtomicLong waiting = new AtomicLong();

    ListenerBacklog(int streamLimit, long clientLimit) {
        check(streamLimit, clientLimit);
        this.streamLimit = streamLimit;
        this.clientLimit = clientLimit;
        this.resumeBelow = Math.min(128 * 1024, streamLimit / 2);
    }

    /**
     * Checks the two bounds.
     *
     * @throws IllegalArgumentException naming the field when a bound is below 2 characters, or the
     *     client's is below the stream's
     */
    static void check(int streamLimit, long clientLimit) {
        if (streamLimit < 2) {
            throw new IllegalArgumentException(
                    "listener backlog per stream: must be at least 2 characters, got " + streamLimit);
        }
        if (clientLimit < streamLimit) {
            throw new IllegalArgumentException("listener backlog per client: must be at least the one per stream ("
                    + streamLimit + " characters), got " + clientLimit);
        }
    }

    /**
     * Counts {@code chars} that arrived for a stream whose listener now has {@code own} waiting,
     * these included; true while that stream may read on.
     */
    boolean arrived(long own, int chars) {
        long all = waiting.addAndGet(chars);
        // A stream whose own backlog is below the resume level never stops for the others: nothing
        // of its own would then make it read again.
        return own < streamLimit && (all < clientLimit || own < resumeBelow);
    }

    /** Counts {@code chars} that a listener has taken, or that nobody will take any more. */
    void taken(long chars) {
        waiting.addAndGet(-chars);
    }

    /** The backlog below which a stream that stopped reads again. */
    int resumeBelow() {
        return resumeBelow;
    }

    /** What waits for the listeners of all streams, in characters. */
    long waiting() {
        return waiting.get();
    }
}
