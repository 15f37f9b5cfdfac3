package io.jenkins.plugins.wrenn.files;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AntPatternsTest {

    @Test
    void matchesAsArchiveArtifactsDoes() {
        AntPatterns p = AntPatterns.of("src/**, tests/**/*.py, requirements.txt, docs/");
        assertTrue(p.matches("src/a/b/c.py"));
        assertTrue(p.matches("tests/test_x.py"));
        assertTrue(p.matches("tests/unit/test_y.py"));
        assertFalse(p.matches("tests/unit/data.json"));
        assertTrue(p.matches("requirements.txt"));
        assertFalse(p.matches("sub/requirements.txt"));
        assertTrue(p.matches("docs/index.md"));
        assertFalse(p.matches("srcx/a"));
    }

    @Test
    void starStaysInOneDirectory() {
        AntPatterns p = AntPatterns.of("*.xml");
        assertTrue(p.matches("unit.xml"));
        assertFalse(p.matches("sub/unit.xml"));
        assertTrue(AntPatterns.of("**/*.xml").matches("a/b/unit.xml"));
        assertTrue(AntPatterns.of("**/*.xml").matches("unit.xml"));
        assertTrue(AntPatterns.of("file?.txt").matches("file1.txt"));
        assertFalse(AntPatterns.of("file?.txt").matches("file12.txt"));
    }

    @Test
    void wildcardsMatchEveryCharacterAFileNameMayHold() {
        assertTrue(AntPatterns.of("**").matches("two\nlines.txt"));
        assertTrue(AntPatterns.of("*.txt").matches("two\nlines.txt"));
    }

    @Test
    void emptyMatchesNothing() {
        assertTrue(AntPatterns.of("").isEmpty());
        assertFalse(AntPatterns.of(" , ").matches("x"));
    }

    @Test
    void aDirectoryPatternAlsoMatchesTheDirectoryItselfAsInAnt() {
        // A link named like the directory is one entry: src/** sends it.
        assertTrue(AntPatterns.of("src/**").matches("src"));
        assertTrue(AntPatterns.of("src/").matches("src"));
        assertFalse(AntPatterns.of("src/*").matches("src"));
    }

    @Test
    void aWalkLearnsWhichDirectoriesItNeedNotEnter() {
        AntPatterns in = AntPatterns.of("src/**, tests/unit/*.py");
        assertTrue(in.mayMatchBelow("src"));
        assertTrue(in.mayMatchBelow("src/deep/er"));
        assertTrue(in.mayMatchBelow("tests"));
        assertTrue(in.mayMatchBelow("tests/unit"));
        assertFalse(in.mayMatchBelow("tests/unit/data"));
        assertFalse(in.mayMatchBelow("node_modules"));
        assertTrue(AntPatterns.of("**/*.py").mayMatchBelow("anything/at/all"));

        AntPatterns out = AntPatterns.of("**/.git/**, build/");
        assertTrue(out.matchesAllBelow(".git"));
        assertTrue(out.matchesAllBelow("sub/.git/objects"));
        assertTrue(out.matchesAllBelow("build"));
        assertFalse(out.matchesAllBelow("src"));
        assertFalse(AntPatterns.of("*.log").matchesAllBelow("logs"));
        assertTrue(AntPatterns.of("**").matchesAllBelow("any"));
    }
}
