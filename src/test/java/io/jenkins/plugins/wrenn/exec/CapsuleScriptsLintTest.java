package io.jenkins.plugins.wrenn.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The engine's shell scripts pass {@code shellcheck} as POSIX sh, when shellcheck is installed. */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "shellcheck runs on the build machine")
class CapsuleScriptsLintTest {

    @ParameterizedTest
    @ValueSource(strings = {"wrapper.sh", "follower.sh", "finish.sh", "stop.sh", "remove.sh", "gate.sh"})
    void passesShellcheck(String script) throws Exception {
        assumeTrue(
                List.of(System.getenv("PATH").split(File.pathSeparator)).stream()
                        .anyMatch(d -> Files.isExecutable(Path.of(d, "shellcheck"))),
                "shellcheck is not installed, so the scripts are not linted (apt-get install shellcheck)");
        byte[] text;
        try (InputStream in = CapsuleScripts.class.getResourceAsStream(script)) {
            text = in.readAllBytes();
        }
        Process p = new ProcessBuilder("shellcheck", "-s", "sh", "-")
                .redirectErrorStream(true)
                .start();
        try (var to = p.getOutputStream()) {
            to.write(text);
        }
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), said);
    }
}
