package io.jenkins.plugins.wrenn.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jenkins.plugins.wrenn.lifecycle.KeepPolicy;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The capsule options as forms, Pipeline scripts and Configuration as Code give them. */
class CapsuleOptionsWordingTest {

    @Test
    void keepTakesWordsAndTheOldBooleanStillWorks() {
        assertEquals(
                Map.of("keep", "always", "template", "t"),
                WrennCapsuleStep.keepAsWord(Map.of("keep", true, "template", "t")));
        assertEquals(Map.of("keep", "never"), WrennCapsuleStep.keepAsWord(Map.of("keep", false)));
        Map<String, Object> words = Map.of("keep", "onFailure");
        assertSame(words, WrennCapsuleStep.keepAsWord(words), "words pass as they are");

        WrennCapsuleStep step = new WrennCapsuleStep();
        assertNull(step.getKeep(), "never is the default, left out of generated snippets");
        step.setKeep("onFailure");
        assertEquals("onFailure", step.getKeep());
        assertEquals(KeepPolicy.ON_FAILURE, step.options().keep());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> step.setKeep("maybe"));
        assertEquals(
                "keep must be never, onFailure or always (true and false still work), not \"maybe\".",
                bad.getMessage());
    }
}
