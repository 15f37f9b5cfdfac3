package io.jenkins.plugins.wrenn.api;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Giving up a stream's opening is only possible until its first message is about to go out. */
class OpeningTest {

    @Test
    void aCancelBeforeSendingGivesTheOpeningUpAndNothingIsSent() {
        Transport.Opening opening = new Transport.Opening();
        assertTrue(opening.cancel(true));
        assertFalse(opening.beginSending(), "a cancelled opening must not send its start");
    }

    @Test
    void aCancelIsRefusedOnceTheFirstMessageIsOnItsWay() {
        Transport.Opening opening = new Transport.Opening();
        assertTrue(opening.beginSending());
        assertFalse(opening.cancel(true), "the start may already run: the caller must get the stream");
        assertFalse(opening.isDone());
    }
}
