package io.jenkins.plugins.wrenn.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.api.BackgroundProcess;
import io.jenkins.plugins.wrenn.api.Signal;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.exec.DurableExecutionTest.Log;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.LocalProcess;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
@ParameterizedClass(name = "{0} server")
@EnumSource(ServerGeneration.class)
class BackgroundProcessesTest {

    static final String KEY = "wrn_background_key_91";
    static WrennTestServer server;
    static WrennClient client;
    static BackgroundProcesses background;

    /** Which generation of the real server the test server speaks in this run. */
    @Parameter
    ServerGeneration generation;

    @BeforeParameterizedClassInvocation
    static void start(ServerGeneration serverGeneration) throws Exception {
        server = WrennTestServer.start(KEY, serverGeneration);
        client = WrennClient.builder(server.baseUrl(), KEY)
                .keepAlive(Duration.ofMillis(250), Duration.ofSeconds(2))
                .build();
        background = new BackgroundProcesses(client, KEY, Duration.ofSeconds(1), StderrMarker.NONE);
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        client.close();
        server.close();
    }

    static BackgroundSpec spec(String capsule, String shellLine, String tag, String waitFor, Duration wait) {
        return new BackgroundSpec(capsule, Command.shell(shellLine), null, null, tag, waitFor, wait, null);
    }

    @Test
    void startsAndLeavesTheProcessRunningWithItsEnvsAndCwd() throws Exception {
        String id = server.createCapsule();
        Files.createDirectories(server.workDir(id).resolve("srv"));
        Log log = new Log();
        BackgroundProcess p = background.start(
                new BackgroundSpec(
                        id,
                        Command.shell("echo \"$PORT\" > port.txt; exec sleep 60"),
                        Map.of("PORT", "8080"),
                        "srv",
                        "web",
                        null,
                        null,
                        null),
                log);
        assertEquals("web", p.tag());
        assertTrue(log.text().contains("started background process " + p.pid() + " (tag web)"), log.text());
        Await.until(() -> Files.exists(server.workDir(id).resolve("srv/port.txt")), "port.txt to be written");
        Await.until(
                () -> Files.readString(server.workDir(id).resolve("srv/port.txt"))
                        .equals("8080\n"),
                "port.txt to hold the port");
        assertTrue(server.processes(id).getFirst().isAlive());

        assertEquals(BackgroundProcesses.Killed.ENDED, background.kill(id, "web", Signal.SIGTERM, null));
        Await.until(() -> server.processes(id).isEmpty(), "the killed process to end");
        assertEquals(
                BackgroundProcesses.Killed.NOT_RUNNING,
                background.kill(id, "web", Signal.SIGTERM, null),
                "killing an ended process is not an error");
    }

    @Test
    void waitsForTheReadyTextEvenWhenItIsTheVeryFirstOutput() throws Exception {
        String id = server.createCapsule();
        for (int i = 0; i < 5; i++) {
            Log log = new Log();
            BackgroundProcess p = background.start(
                    spec(id, "echo Listening on 80" + i + "; exec sleep 60", null, "Listening on", null), log);
            assertTrue(p.tag().startsWith("wrenn-"), p.tag());
            assertTrue(log.text().contains("Listening on 80" + i + "\n"), log.text());
            assertTrue(log.text().contains("is ready"), log.text());
            LocalProcess running = server.processes(id).stream()
                    .filter(lp -> lp.pid() == p.pid())
                    .findFirst()
                    .orElseThrow();
            assertTrue(running.isAlive(), "the process must keep running after the start");
            assertEquals(
                    BackgroundProcesses.Killed.ENDED,
                    background.kill(id, Long.toString(p.pid()), Signal.SIGKILL, null));
        }
        Await.until(() -> server.processes(id).isEmpty(), "all processes to end");
    }

    @Test
    void readyTextSplitAcrossChunksIsFound() throws Exception {
        server.setChunkBytes(3);
        try {
            String id = server.createCapsule();
            BackgroundProcess p = background.start(
                    spec(
                            id,
                            "printf 'boot...\\nServer Listening on 9000\\n'; exec sleep 60",
                            "split",
                            "Listening on",
                            null),
                    new Log());
            assertEquals("split", p.tag());
            background.kill(id, "split", Signal.SIGKILL, null);
        } finally {
            server.setChunkBytes(8192);
        }
    }

    @Test
    void exitBeforeReadyFailsWithTheCode() throws Exception {
        String id = server.createCapsule();
        ExecutionFailure e = assertThrows(
                ExecutionFailure.class,
                () -> background.start(spec(id, "echo port in use >&2; exit 2", null, "Listening", null), new Log()));
        assertEquals(ExecutionFailure.Reason.EXITED_BEFORE_READY, e.reason());
        assertTrue(e.getMessage().contains("exited with code 2 before it printed 'Listening'"), e.getMessage());
        Await.until(() -> server.processes(id).isEmpty(), "nothing left running");
    }

    @Test
    void notReadyInTimeIsStopped() throws Exception {
        String id = server.createCapsule();
        ExecutionFailure e = assertThrows(
                ExecutionFailure.class,
                () -> background.start(
                        spec(id, "trap '' TERM; echo starting; sleep 60", null, "Listening", Duration.ofSeconds(1)),
                        new Log()));
        assertEquals(ExecutionFailure.Reason.TIMED_OUT, e.reason());
        assertTrue(e.getMessage().contains("did not print 'Listening' within 1 s; it was stopped"), e.getMessage());
        Await.until(() -> server.processes(id).isEmpty(), "the unready process to be stopped");
    }

    @Test
    void interruptWhileWaitingStopsTheProcess() throws Exception {
        String id = server.createCapsule();
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                background.start(spec(id, "echo waiting; sleep 60", null, "never printed", null), new Log());
                ended.complete(null);
            } catch (Throwable x) {
                ended.complete(x);
            }
        });
        t.start();
        Await.until(() -> !server.processes(id).isEmpty(), "the process to start");
        Thread.sleep(300);
        t.interrupt();
        assertTrue(ended.get(15, TimeUnit.SECONDS) instanceof InterruptedException);
        Await.until(() -> server.processes(id).isEmpty(), "the process to be stopped after the interrupt");
    }

    @Test
    void startInAMissingOrPausedCapsuleSaysSo() {
        ExecutionFailure missing = assertThrows(
                ExecutionFailure.class,
                () -> background.start(spec("cl-0000000000000000000000000", "sleep 60", null, null, null), new Log()));
        assertEquals(ExecutionFailure.Reason.CAPSULE_NOT_FOUND, missing.reason());

        String paused = server.createCapsule();
        server.setStatus(paused, "paused");
        ExecutionFailure notRunning = assertThrows(
                ExecutionFailure.class, () -> background.start(spec(paused, "sleep 60", null, null, null), new Log()));
        assertTrue(
                notRunning
                        .getMessage()
                        .startsWith(
                                "Capsule " + paused + " is not running (status: paused) - start or resume it first."),
                notRunning.getMessage());
        assertTrue(server.processes(paused).isEmpty());
    }

    @Test
    void missingCapsuleIsAFailureEvenForKill() {
        ExecutionFailure e = assertThrows(
                ExecutionFailure.class,
                () -> background.kill("cl-0000000000000000000000000", "web", Signal.SIGTERM, "wrenn-key"));
        assertEquals(ExecutionFailure.Reason.CAPSULE_NOT_FOUND, e.reason());
    }

    @Test
    void stopEndsEvenAProcessThatIgnoresSigterm() throws Exception {
        String id = server.createCapsule();
        // Ready once the trap is set: a stop before it would end the process with SIGTERM alone.
        BackgroundProcess p =
                background.start(spec(id, "trap '' TERM; echo up; exec sleep 60", null, "up", null), new Log());
        Log log = new Log();
        background.stop(id, p.pid(), log);
        Await.until(() -> server.processes(id).isEmpty(), "the process to be killed");
        assertTrue(log.text().contains("sending SIGKILL"), log.text());
        assertEquals(
                List.of("TERM", "KILL"),
                server.requests("POST", ".*/" + id + "/exec").stream()
                        .map(r -> r.body())
                        .filter(b -> b.contains("wrenn-stop"))
                        .map(b -> b.contains("\"TERM\"") ? "TERM" : b.contains("\"KILL\"") ? "KILL" : b)
                        .toList(),
                "SIGTERM, then SIGKILL, each to the process's group");
    }

    @Test
    void aStopAndAKillReachEveryProcessTheBackgroundProcessStarted() throws Exception {
        String id = server.createCapsule();
        BackgroundProcess p = background.start(
                spec(id, "sleep 60 & echo $! >kid1; sleep 60 & echo $! >kid2; echo up; wait", null, "up", null),
                new Log());
        long kid1 = DurableExecutionTest.pidsIn(server, id, "kid1").getFirst();
        long kid2 = DurableExecutionTest.pidsIn(server, id, "kid2").getFirst();
        background.stop(id, p.pid(), new Log());
        Await.until(
                () -> !DurableExecutionTest.running(kid1) && !DurableExecutionTest.running(kid2),
                "its children to end");

        BackgroundProcess q =
                background.start(spec(id, "sleep 60 & echo $! >kid3; echo up; wait", "killed", "up", null), new Log());
        long kid3 = DurableExecutionTest.pidsIn(server, id, "kid3").getFirst();
        // Sent; whether the group is gone within the grace period depends on how fast the daemon reaps it.
        assertNotEquals(BackgroundProcesses.Killed.NOT_RUNNING, background.kill(id, "killed", Signal.SIGTERM, null));
        Await.until(() -> !DurableExecutionTest.running(kid3), "wrennKill to reach its child");
        Await.until(() -> server.processes(id).stream().noneMatch(r -> r.pid() == q.pid()), "the process to end");
    }

    @Test
    void aSigtermThatIsIgnoredLeavesTheProcessToBeStoppedStill() throws Exception {
        String id = server.createCapsule();
        BackgroundProcess p = background.start(
                spec(id, "trap '' TERM; echo up; while :; do sleep 0.1; done", "stubborn", "up", null), new Log());
        assertEquals(BackgroundProcesses.Killed.STILL_RUNNING, background.kill(id, "stubborn", Signal.SIGTERM, null));
        assertTrue(server.processes(id).stream().anyMatch(r -> r.pid() == p.pid()), "it ignores SIGTERM");
        // What the build-end cleanup then does: SIGKILL after the grace period.
        background.stop(id, p.pid(), new Log());
        Await.until(() -> server.processes(id).isEmpty(), "the process to be stopped");
    }

    @Test
    void anAbortWhileABackgroundStartIsUnderWayLeavesNoProcessRunning() throws Exception {
        String id = server.createCapsule();
        // The capsule starts the process at once, but its answer comes late: the abort comes first.
        server.delayNextAnswer("POST", ".*/" + id + "/exec", Duration.ofSeconds(2));
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        Thread starting = Thread.ofVirtual().start(() -> {
            try {
                background.start(spec(id, "exec sleep 60", "aborted", null, null), new Log());
                ended.complete(null);
            } catch (Throwable t) {
                ended.complete(t);
            }
        });
        Await.until(() -> !server.processes(id).isEmpty(), "the process to start");
        starting.interrupt();
        assertTrue(ended.get(10, TimeUnit.SECONDS) instanceof InterruptedException, "the start gave up");
        Await.until(() -> server.processes(id).isEmpty(), "the process whose start was aborted to be stopped");
    }

    @Test
    void badTagsAreRefusedNamingTheField() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> spec("cl-x", "true", "1234", null, null));
        assertTrue(e.getMessage().startsWith("tag:"), e.getMessage());
    }
}
