package io.jenkins.plugins.wrenn.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ListenerBacklogTest {

    @Test
    void aStreamReadsOnUntilItsOwnListenerIsItsLimitBehind() {
        ListenerBacklog backlog = new ListenerBacklog(1000, 10_000);
        assertTrue(backlog.arrived(999, 999));
        assertFalse(backlog.arrived(1000, 1));
        assertEquals(1000, backlog.waiting());
    }

    @Test
    void theClientsLimitStopsOnlyStreamsWhoseOwnListenersCanCatchUp() {
        ListenerBacklog backlog = new ListenerBacklog(1000, 1500);
        assertEquals(500, backlog.resumeBelow());
        assertTrue(backlog.arrived(900, 900), "one stream alone is below both limits");
        // A second stream brings the client to its limit: it stops once its own backlog is one it
        // will work off, never below the level at which it would read again.
        assertTrue(backlog.arrived(499, 499));
        assertFalse(backlog.arrived(600, 101));
        assertEquals(1500, backlog.waiting());
    }

    @Test
    void whatListenersTakeLetsTheOtherStreamsReadAgain() {
        ListenerBacklog backlog = new ListenerBacklog(1000, 1500);
        backlog.arrived(900, 900);
        assertFalse(backlog.arrived(600, 600));
        backlog.taken(900);
        assertTrue(backlog.arrived(700, 100));
        assertEquals(700, backlog.waiting());
    }

    @Test
    void theResumeLevelIsHalfASmallLimitAndAtMost128KiCharacters() {
        assertEquals(32, new ListenerBacklog(64, 64).resumeBelow());
        assertEquals(
                128 * 1024,
                new ListenerBacklog(ListenerBacklog.DEFAULT_STREAM_LIMIT, ListenerBacklog.DEFAULT_CLIENT_LIMIT)
                        .resumeBelow());
    }

    @Test
    void badLimitsNameTheirField() {
        IllegalArgumentException stream =
                assertThrows(IllegalArgumentException.class, () -> new ListenerBacklog(1, 10));
        assertEquals("listener backlog per stream: must be at least 2 characters, got 1", stream.getMessage());
        IllegalArgumentException client = assertThrows(
                IllegalArgumentException.class,
                () -> WrennClient.builder(java.net.URI.create("http://h"), "k").listenerBacklog(100, 99));
        assertEquals(
                "listener backlog per client: must be at least the one per stream (100 characters), got 99",
                client.getMessage());
    }
}
