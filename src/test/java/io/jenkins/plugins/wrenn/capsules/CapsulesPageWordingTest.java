package io.jenkins.plugins.wrenn.capsules;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How the Wrenn capsules page words what it shows. */
class CapsulesPageWordingTest {

    @Test
    void agesReadShort() {
        assertEquals("42 s", WrennCapsulesLink.span(Duration.ofSeconds(42)));
        assertEquals("5 min", WrennCapsulesLink.span(Duration.ofMinutes(5)));
        assertEquals("2 h 5 min", WrennCapsulesLink.span(Duration.ofMinutes(125)));
        assertEquals("3 d 1 h", WrennCapsulesLink.span(Duration.ofHours(73)));
    }
}
