package io.jenkins.plugins.wrenn.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.exec.DurableExecutionTest.Log;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * A Jenkins that shuts down lets go of its engines, while the JVM (and the engines) may live on, as
 * in a restart within one JVM: the next Jenkins must find each command and its files as they are.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class DurableDetachTest {

    static final String KEY = "wrn_detach_key_31c7";
    static WrennTestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = WrennTestServer.start(KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void aDetachedEngineLeavesTheCommandAndItsFilesForTheNextJenkins() throws Exception {
        String id = server.createCapsule();
        Path gate = server.workDir(id).resolve("gate");
        Command command =
                Command.shell("echo first; while [ ! -e " + gate + " ]; do sleep 0.05; done; echo second; exit 6");
        DurableExecution old = new DurableExecution(
                WrennClient.builder(server.baseUrl(), KEY).build(),
                KEY,
                Duration.ofSeconds(1),
                null,
                StderrMarker.NONE);
        Log before = new Log();
        DurableRun run = old.start(ExecutionSpec.of(id, command), before, null);
        Await.until(() -> before.text().contains("first\n"), "the first line");
        RunState saved = run.state();

        old.detach();
        Files.createFile(gate);
        Await.until(() -> server.processes(id).isEmpty(), "the command to end");
        // Longer than the engine waits before it removes a finished run's files.
        Thread.sleep(DurableExecution.CLEANUP_DELAY.plusSeconds(1).toMillis());
        assertFalse(run.outcome().isDone(), "a detached run completed its outcome for a Jenkins that is gone");
        assertTrue(
                Files.exists(server.tmpDir(id).resolve(saved.controlPrefix() + ".status")),
                "the detached engine removed the files");
        assertFalse(before.text().contains("second\n"), "a detached run still wrote to the old log");

        try (WrennClient client = WrennClient.builder(server.baseUrl(), KEY).build()) {
            DurableExecution next = new DurableExecution(client, KEY, Duration.ofSeconds(1), null, StderrMarker.NONE);
            Log after = new Log();
            ExecOutcome outcome = next.resume(saved, after, null).outcome().get(60, TimeUnit.SECONDS);
            assertEquals(6, outcome.exitCode());
            assertTrue(after.text().contains("second\n"), after.text());
            next.close();
        }
    }
}
