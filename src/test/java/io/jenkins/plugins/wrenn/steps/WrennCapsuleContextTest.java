package io.jenkins.plugins.wrenn.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** How a Wrenn step inside a {@code wrennCapsule} block picks its capsule and credentials. */
class WrennCapsuleContextTest {

    private final WrennCapsuleContext block = new WrennCapsuleContext("cl-block", "block-key");

    @Test
    void aStepWithoutCapsuleUsesTheBlocksCapsuleAndCredentials() throws Exception {
        assertEquals(
                new WrennCapsuleContext.Target("cl-block", "block-key"),
                WrennCapsuleContext.targetIn(block, null, null));
        assertEquals(
                new WrennCapsuleContext.Target("cl-block", "block-key"), WrennCapsuleContext.targetIn(block, " ", ""));
    }

    @Test
    void aStepMayNameAnotherCapsuleAndKeepsTheBlocksCredentials() throws Exception {
        assertEquals(
                new WrennCapsuleContext.Target("cl-other", "block-key"),
                WrennCapsuleContext.targetIn(block, "cl-other", null));
        assertEquals(
                new WrennCapsuleContext.Target("cl-other", "own-key"),
                WrennCapsuleContext.targetIn(block, "cl-other", "own-key"));
    }

    @Test
    void outsideABlockTheStepsOwnValuesApply() throws Exception {
        assertEquals(new WrennCapsuleContext.Target("cl-a", null), WrennCapsuleContext.targetIn(null, "cl-a", null));
    }
}
