package io.jenkins.plugins.wrenn.capacity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

class CapsuleSlotsTest {

    @Test
    void theOneAboveTheLimitWaitsAndGetsTheFirstSlotGivenBack() {
        CapsuleSlots slots = new CapsuleSlots(2);
        CapsuleSlots.Request a = slots.request("a");
        CapsuleSlots.Request b = slots.request("b");
        CapsuleSlots.Request c = slots.request("c");
        assertFalse(a.mustWait());
        assertFalse(b.mustWait());
        assertTrue(c.mustWait());
        assertEquals("[wrenn] waiting for a capsule slot: 2 of 2 in use", c.waitLine());
        assertEquals(1, slots.waiting());

        slots.release("a");
        assertTrue(c.granted().isDone() && !c.granted().isCompletedExceptionally());
        assertEquals(2, slots.inUse());
        slots.release("a");
        assertEquals(2, slots.inUse(), "a second release of the same holder changes nothing");
    }

    @Test
    void waitersGoInTheOrderTheyAsked() {
        CapsuleSlots slots = new CapsuleSlots(1);
        slots.request("a");
        CapsuleSlots.Request b = slots.request("b");
        CapsuleSlots.Request c = slots.request("c");
        slots.release("a");
        assertTrue(b.granted().isDone());
        assertFalse(c.granted().isDone());
    }

    @Test
    void anAbortWhileWaitingLeavesTheQueueAtOnce() {
        CapsuleSlots slots = new CapsuleSlots(1);
        slots.request("a");
        CapsuleSlots.Request b = slots.request("b");
        CapsuleSlots.Request c = slots.request("c");
        b.cancel();
        assertTrue(b.granted().isCompletedExceptionally());
        assertTrue(
                b.granted().handle((v, e) -> e instanceof CancellationException).join());
        slots.release("a");
        assertTrue(c.granted().isDone(), "the slot goes to the next one that still waits");
        assertEquals(1, slots.inUse());
    }

    @Test
    void aCancelAfterTheGrantGivesTheSlotBack() {
        CapsuleSlots slots = new CapsuleSlots(1);
        CapsuleSlots.Request a = slots.request("a");
        CapsuleSlots.Request b = slots.request("b");
        a.cancel();
        assertTrue(b.granted().isDone());
        assertEquals(1, slots.inUse());
    }

    @Test
    void raisingTheLimitLetsWaitersInAndZeroMeansNoLimit() {
        CapsuleSlots slots = new CapsuleSlots(1);
        slots.request("a");
        CapsuleSlots.Request b = slots.request("b");
        slots.setMax(0);
        assertTrue(b.granted().isDone());
        for (int i = 0; i < 100; i++) {
            assertFalse(slots.request("x" + i).mustWait());
        }
    }

    @Test
    void aCapsuleHeldAcrossARestartIsCountedEvenAboveTheLimit() {
        CapsuleSlots slots = new CapsuleSlots(1);
        slots.occupy("resumed");
        assertTrue(slots.request("new").mustWait());
        slots.release("resumed");
        assertEquals(1, slots.inUse());
    }

    @Test
    void aShutdownForgetsHoldersAndEndsEveryWait() {
        CapsuleSlots slots = new CapsuleSlots(1);
        slots.request("a");
        CapsuleSlots.Request b = slots.request("b");
        slots.clear();
        assertTrue(b.granted().isCompletedExceptionally());
        assertEquals(0, slots.inUse());
        assertFalse(slots.request("c").mustWait());
    }
}
