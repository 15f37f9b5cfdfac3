package io.jenkins.plugins.wrenn.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.exec.DurableExecutionTest.Log;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Shared engines are closed, with their threads, once they have had nothing to do for a while. */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class SharedEnginesTest {

    static final String KEY = "wrn_shared_key_5d0e";
    static WrennTestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = WrennTestServer.start(KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static DurableExecution newEngine() {
        return new DurableExecution(
                WrennClient.builder(server.baseUrl(), KEY).build(),
                KEY,
                Duration.ofSeconds(1),
                null,
                StderrMarker.NONE);
    }

    /**
     * The ids of the live threads of the kinds an engine and its client add: its timer and the
     * client's keep-alive. Those of clients other tests closed may still be on their way out.
     */
    private static Set<Long> engineThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .filter(t -> t.getName().equals("Wrenn durable run timer")
                        || t.getName().equals("Wrenn WebSocket keep-alive"))
                .map(Thread::threadId)
                .collect(Collectors.toSet());
    }

    /** The engine threads that are not among those that ran before. */
    private static Set<Long> engineThreadsSince(Set<Long> before) {
        Set<Long> added = engineThreads();
        added.removeAll(before);
        return added;
    }

    @Test
    void anEngineLivesWhileItsRunsDoAndIsClosedWithItsThreadsOnceIdle() throws Exception {
        SharedEngines engines = new SharedEngines(Duration.ofMillis(600));
        Set<Long> threadsBefore = engineThreads();
        String id = server.createCapsule();
        Path gate = server.workDir(id).resolve("gate");
        DurableExecution engine = engines.get("k", SharedEnginesTest::newEngine);
        assertSame(engine, engines.get("k", () -> {
            throw new AssertionError("a second engine for the same key");
        }));
        Log log = new Log();
        DurableRun run = engine.start(
                ExecutionSpec.of(
                        id, Command.shell("echo waiting; while [ ! -e " + gate + " ]; do sleep 0.05; done; exit 4")),
                log,
                null);
        Await.until(() -> log.text().contains("waiting\n"), "the command to start");
        Set<Long> added = engineThreadsSince(threadsBefore);
        assertTrue(added.size() >= 2, "the engine's threads: " + added);
        // Several idle times and checks later, the run still holds its engine.
        Thread.sleep(2000);
        assertEquals(1, engines.size(), "an engine in use was closed");

        Files.createFile(gate);
        assertEquals(4, run.outcome().get(60, TimeUnit.SECONDS).exitCode());
        // Its control files are removed a moment later (DurableExecution.CLEANUP_DELAY), and only
        // then is the engine idle.
        Await.until(() -> engines.size() == 0, "the idle engine to be closed");
        Await.until(() -> engineThreadsSince(threadsBefore).isEmpty(), "the engine's threads to end");
        try (Stream<Path> files = Files.list(server.tmpDir(id))) {
            assertTrue(
                    files.noneMatch(p -> p.getFileName().toString().startsWith(".wrenn-run-")),
                    "control files left behind");
        }

        // The next use of the key makes a new engine, which works.
        DurableExecution next = engines.get("k", SharedEnginesTest::newEngine);
        assertNotSame(engine, next);
        assertEquals(
                0,
                next.start(ExecutionSpec.of(id, Command.shell("true")), new Log(), null)
                        .outcome()
                        .get(60, TimeUnit.SECONDS)
                        .exitCode());
        engines.detachAll();
        assertEquals(0, engines.size());
    }
}
