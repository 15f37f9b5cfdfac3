package io.jenkins.plugins.wrenn.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvironmentLinesTest {

    @Test
    void readsKeyValueLinesKeepingValuesAsWritten() {
        Map<String, String> envs = EnvironmentLines.parse("A=1\r\n\n# comment\n B = x=y \nEMPTY=\n");
        assertEquals(Map.of("A", "1", "B", " x=y", "EMPTY", ""), envs);
    }

    @Test
    void namesTheBadLine() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> EnvironmentLines.parse("A=1\nnot a pair\n"));
        assertTrue(e.getMessage().startsWith("envs: line 2 is not KEY=VALUE"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> EnvironmentLines.parse("=value"));
    }

    @Test
    void nothingIsEmpty() {
        assertEquals(Map.of(), EnvironmentLines.parse(null));
        assertEquals(Map.of(), EnvironmentLines.parse("  \n"));
    }
}
