package io.jenkins.plugins.wrenn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** How far one note reaches; its rendering is checked in the real build's JenkinsRule tests. */
class StderrNoteTest {

    @Test
    void aNoteCoversTheLinesOfItsChunk() {
        assertEquals(0, StderrNote.linesAfterFirst("one line\n"));
        assertEquals(0, StderrNote.linesAfterFirst("partial"));
        assertEquals(2, StderrNote.linesAfterFirst("a\nb\nc\n"));
        assertEquals(2, StderrNote.linesAfterFirst("a\nb\nc"));
        assertEquals(0, StderrNote.linesAfterFirst(""));
    }
}
