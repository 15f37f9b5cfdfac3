package io.jenkins.plugins.wrenn.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.api.ProcessInfo;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.LocalProcess;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
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
class CapsuleExecutionTest {

    static final String KEY = "wrn_engine_key_5f3a9";
    static WrennTestServer server;
    static WrennClient client;
    static CapsuleExecution engine;

    /** Which generation of the real server the test server speaks in this run. */
    @Parameter
    ServerGeneration generation;

    @BeforeParameterizedClassInvocation
    static void start(ServerGeneration serverGeneration) throws Exception {
        server = WrennTestServer.start(KEY, serverGeneration);
        server.setAuthWait(Duration.ofMillis(200));
        client = WrennClient.builder(server.baseUrl(), KEY)
                .keepAlive(Duration.ofMillis(250), Duration.ofSeconds(2))
                .build();
        engine = new CapsuleExecution(client, KEY, Duration.ofSeconds(1), null, StderrMarker.NONE);
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        client.close();
        server.close();
    }

    /** A log that is thread-safe to read while the engine writes it. */
    static class Log extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            bytes.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            bytes.write(b, off, len);
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }

    static ExecutionSpec shell(String capsule, String line) {
        return ExecutionSpec.of(capsule, Command.shell(line));
    }

    static ExecutionSpec shell(String capsule, String line, Map<String, String> envs, String cwd) {
        return new ExecutionSpec(capsule, Command.shell(line), envs, cwd, null, false, null);
    }

    static ExecutionSpec capturing(String capsule, String line) {
        return new ExecutionSpec(capsule, Command.shell(line), null, null, null, true, null);
    }

    /** The log after the engine's header line, which it checks. */
    static String output(Log log) {
        String text = log.text();
        assertTrue(text.startsWith("[wrenn] Running \""), text);
        return text.substring(text.indexOf('\n') + 1);
    }

    @Test
    void runsAShellCommandAndStreamsBothOutputs() throws Exception {
        String id = server.createCapsule();
        Log log = new Log();
        ExecOutcome out = engine.run(shell(id, "echo hello; echo oops >&2"), log);
        assertEquals(0, out.exitCode());
        assertTrue(out.succeeded());
        assertNull(out.stdout());
        // Two pipes: their relative order is not defined, each line is.
        assertTrue(log.text().contains("hello\n") && log.text().contains("oops\n"), log.text());
        assertEquals(11, output(log).length());
    }

    @Test
    void stderrChunksGetTheMarkerAndStdoutNever() throws Exception {
        CapsuleExecution marking =
                new CapsuleExecution(client, KEY, Duration.ofSeconds(1), null, chunk -> "<E" + chunk.length() + ">");
        Log log = new Log();
        ExecOutcome out = marking.run(capturing(server.createCapsule(), "echo result; echo oops >&2"), log);
        assertEquals("result\n", out.stdout());
        assertEquals("<E5>oops\n", output(log));

        Log both = new Log();
        marking.run(shell(server.createCapsule(), "echo plain"), both);
        assertEquals("plain\n", output(both));
    }

    @Test
    void nonZeroExitIsReturnedWithItsCode() throws Exception {
        ExecOutcome out = engine.run(shell(server.createCapsule(), "exit 3"), new Log());
        assertEquals(3, out.exitCode());
        assertFalse(out.succeeded());
    }

    @Test
    void programFormPassesArgumentsExactly() throws Exception {
        Log log = new Log();
        ExecOutcome out = engine.run(
                ExecutionSpec.of(
                        server.createCapsule(),
                        Command.program("printf", List.of("[%s]\\n", "two words", "$HOME", "'q'"))),
                log);
        assertEquals(0, out.exitCode());
        assertEquals("[two words]\n[$HOME]\n['q']\n", output(log));
    }

    @Test
    void firstLineReachesTheLogBeforeTheProcessEnds() throws Exception {
        String id = server.createCapsule();
        CountDownLatch firstLine = new CountDownLatch(1);
        Log log = new Log() {
            @Override
            public synchronized void write(byte[] b, int off, int len) {
                super.write(b, off, len);
                if (text().contains("first\n")) {
                    firstLine.countDown();
                }
            }
        };
        CompletableFuture<ExecOutcome> run = CompletableFuture.supplyAsync(() -> {
            try {
                return engine.run(shell(id, "echo first; sleep 3; echo second"), log);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        assertTrue(firstLine.await(2, TimeUnit.SECONDS), "first line not in the log within 2 s");
        assertFalse(run.isDone());
        assertEquals(0, run.get(20, TimeUnit.SECONDS).exitCode());
        assertEquals("first\nsecond\n", output(log));
    }

    @Test
    void envsAndCwdApplyToStreamedCommandsWithoutLosingAnything() throws Exception {
        String id = server.createCapsule();
        java.nio.file.Files.createDirectories(server.workDir(id).resolve("work dir"));
        for (int i = 0; i < 10; i++) {
            Log log = new Log();
            ExecOutcome out = engine.run(
                    shell(
                            id,
                            "echo \"$GREETING:$QUOTED\"; basename \"$PWD\"; exit 4",
                            Map.of("GREETING", "hi " + i, "QUOTED", "it's \"$x\"; rm -rf /"),
                            "work dir"),
                    log);
            assertEquals(4, out.exitCode());
            assertEquals("hi " + i + ":it's \"$x\"; rm -rf /\nwork dir\n", output(log));
        }
    }

    @Test
    void missingCwdFailsTheCommandWithTheShellsMessage() throws Exception {
        Log log = new Log();
        ExecOutcome out = engine.run(shell(server.createCapsule(), "true", null, "/no/such/dir"), log);
        assertEquals(125, out.exitCode());
        assertTrue(log.text().contains("/no/such/dir"), log.text());
    }

    @Test
    void badEnvNameIsRefusedNamingTheField() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new ExecutionSpec("cl-x", Command.shell("true"), Map.of("1BAD", "x"), null, null, false, null));
        assertTrue(e.getMessage().startsWith("envs: '1BAD'"), e.getMessage());
    }

    @Test
    void capturesStdoutInsteadOfLoggingIt() throws Exception {
        Log log = new Log();
        ExecOutcome out = engine.run(capturing(server.createCapsule(), "echo result; echo progress >&2"), log);
        assertEquals("result\n", out.stdout());
        assertEquals("progress\n", output(log));
    }

    @Test
    void capsuleProblemsAreClearAndNothingStarts() throws Exception {

        ExecutionFailure missing = assertThrows(
                ExecutionFailure.class, () -> engine.run(shell("cl-0000000000000000000000000", "true"), new Log()));
        assertEquals(ExecutionFailure.Reason.CAPSULE_NOT_FOUND, missing.reason());
        assertTrue(missing.getMessage().startsWith("Capsule not found: cl-0000000000000000000000000"));

        ExecutionFailure invalid =
                assertThrows(ExecutionFailure.class, () -> engine.run(shell("cap_abc123", "true"), new Log()));
        assertEquals(ExecutionFailure.Reason.INVALID_CAPSULE_ID, invalid.reason());
        assertTrue(invalid.getMessage().contains("'cap_abc123'"), invalid.getMessage());

        String paused = server.createCapsule();
        server.setStatus(paused, "paused");
        ExecutionFailure notRunning =
                assertThrows(ExecutionFailure.class, () -> engine.run(shell(paused, "true"), new Log()));
        assertTrue(
                notRunning
                        .getMessage()
                        .startsWith(
                                "Capsule " + paused + " is not running (status: paused) - start or resume it first."),
                notRunning.getMessage());
        assertTrue(server.processes(paused).isEmpty(), "a process started in a paused capsule");
    }

    @Test
    void wrongKeyNamesTheCredentialsWithoutWaitingForTheStream() throws Exception {
        server.setAuthWait(Duration.ofSeconds(5));
        String id = server.createCapsule();
        long t0 = System.nanoTime();
        try (WrennClient wrong =
                WrennClient.builder(server.baseUrl(), "wrn_not_it").build()) {
            ExecutionFailure e = assertThrows(
                    ExecutionFailure.class,
                    () -> CapsuleExecution.withDefaults(wrong, "wrn_not_it", StderrMarker.NONE)
                            .run(shell(id, "true").withCredentialsName("wrenn-key"), new Log()));
            assertEquals(ExecutionFailure.Reason.AUTHENTICATION_FAILED, e.reason());
            assertTrue(e.getMessage().startsWith("Authentication failed for credentials wrenn-key"), e.getMessage());
            assertFalse(e.getMessage().contains("wrn_not_it"));
        } finally {
            server.setAuthWait(Duration.ofMillis(200));
        }
        assertTrue(System.nanoTime() - t0 < 3_000_000_000L, "waited for the stream's 5 s auth timeout");
        assertTrue(server.processes(id).isEmpty());
    }

    @Test
    void aShortCommandCostsNoCapsuleRequestALongerOneGetsItsCheckAndPings() throws Exception {
        String id = server.createCapsule();
        String capsule = "/api/v1/capsules/" + id;
        assertEquals(0, engine.run(shell(id, "true"), new Log()).exitCode());
        assertTrue(server.requests("GET", capsule).isEmpty(), "a GET of the capsule for a short command");

        // Without pings the server would pause the capsule 2 s into the command.
        server.setIdleTimeout(id, 2);
        assertEquals(0, engine.run(shell(id, "sleep 3"), new Log()).exitCode());
        assertEquals(1, server.requests("GET", capsule).size());
        assertFalse(server.requests("POST", capsule + "/ping").isEmpty(), "no ping in 3 s with a 2 s idle timeout");
        assertEquals("running", server.status(id));
    }

    @Test
    void serverErrorsSayServerError() {
        server.failNext("GET", ".*/exec/stream", 500, "text/html", "<h1>oops</h1>");
        ExecutionFailure e = assertThrows(
                ExecutionFailure.class, () -> engine.run(shell(server.createCapsule(), "true"), new Log()));
        assertEquals(ExecutionFailure.Reason.SERVER_ERROR, e.reason());
        assertTrue(e.getMessage().startsWith("Server error 500"), e.getMessage());
    }

    @Test
    void apiKeyAndMarkedSecretsAreMaskedEvenAcrossChunks() throws Exception {
        server.setChunkBytes(7);
        try {
            // One stream per run: two pipes have no defined order between them.
            Log stdout = new Log();
            engine.run(shell(server.createCapsule(), "echo key " + KEY + " end"), stdout);
            assertEquals("key **** end\n", output(stdout));

            Log stderr = new Log();
            engine.run(shell(server.createCapsule(), "echo pw " + KEY + " " + KEY + " >&2"), stderr);
            assertEquals("pw **** ****\n", output(stderr));
        } finally {
            server.setChunkBytes(8192);
        }
    }

    @Test
    void timeoutStopsTheRemoteProcess() throws Exception {
        String id = server.createCapsule();
        Log log = new Log();
        long t0 = System.nanoTime();
        ExecutionFailure e = assertThrows(
                ExecutionFailure.class,
                () -> engine.run(
                        new ExecutionSpec(
                                id,
                                Command.shell("echo started; sleep 60"),
                                null,
                                null,
                                Duration.ofSeconds(1),
                                false,
                                null),
                        log));
        assertEquals(ExecutionFailure.Reason.TIMED_OUT, e.reason());
        assertTrue(e.getMessage().startsWith("The command timed out after 1 s"), e.getMessage());
        assertTrue(System.nanoTime() - t0 < 10_000_000_000L);
        Await.until(() -> server.processes(id).isEmpty(), "the timed-out process is still running");
        assertEquals(
                1, server.requests("DELETE", ".*/" + id + "/processes/\\d+").size());
    }

    @Test
    void interruptStopsTheRemoteProcessAndTermIgnorersGetKilled() throws Exception {
        String id = server.createCapsule();
        Log log = new Log();
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        Thread build = new Thread(() -> {
            try {
                engine.run(shell(id, "trap '' TERM; echo ready; sleep 60"), log);
                ended.complete(null);
            } catch (Throwable t) {
                ended.complete(t);
            }
        });
        build.start();
        Await.until(() -> log.text().contains("ready\n"), "the command did not start");
        List<LocalProcess> running = server.processes(id);
        assertEquals(1, running.size());
        build.interrupt();
        Throwable t = ended.get(15, TimeUnit.SECONDS);
        assertTrue(t instanceof InterruptedException, String.valueOf(t));
        // SIGKILL is sent; the OS reaps the process a moment later.
        Await.until(() -> !running.getFirst().isAlive(), "the remote process to end after the abort");
        Await.until(() -> server.processes(id).isEmpty(), "the process table still lists the process");
        List<String> signals = server.requests("DELETE", ".*/" + id + "/processes/\\d+").stream()
                .map(WrennTestServer.RecordedRequest::query)
                .toList();
        assertEquals(List.of("signal=SIGTERM", "signal=SIGKILL"), signals);
        assertTrue(log.text().contains("sending SIGKILL"), log.text());
    }

    @Test
    void pingsKeepABusyCapsuleFromBeingPaused() throws Exception {
        String id = server.createCapsule();
        server.setIdleTimeout(id, 1);
        CapsuleExecution pinging =
                new CapsuleExecution(client, KEY, Duration.ofSeconds(1), Duration.ofMillis(300), StderrMarker.NONE);
        ExecOutcome out = pinging.run(shell(id, "sleep 2.5; echo done"), new Log());
        assertEquals(0, out.exitCode());
        assertEquals("running", server.status(id));
        assertTrue(server.requests("POST", ".*/" + id + "/ping").size() >= 5);

        String idle = server.createCapsule();
        server.setIdleTimeout(idle, 1);
        Thread.sleep(1500);
        assertEquals(
                "paused", server.status(idle), "the test server's auto-pause must work for this test to mean anything");
    }

    @Test
    void aCutStreamIsReattachedAndTheExitCodeStillSeen() throws Exception {
        String id = server.createCapsule();
        server.dropNextStreamAfter(1);
        Log log = new Log();
        ExecOutcome out = engine.run(shell(id, "echo one; sleep 3; echo two; exit 6"), log);
        assertEquals(6, out.exitCode());
        String text = output(log);
        assertTrue(text.startsWith("one\n"), text);
        assertTrue(text.contains("re-attaching to process"), text);
        assertTrue(text.endsWith("two\n"), text);
        assertEquals(
                1, server.requests("WS", ".*/" + id + "/processes/\\d+/stream").size());
    }

    @Test
    void aCutStreamOfAFinishedProcessNeverReportsSuccess() throws Exception {
        String id = server.createCapsule();
        server.dropNextStreamAfter(1);
        ExecutionFailure e = assertThrows(
                ExecutionFailure.class,
                () -> engine.run(ExecutionSpec.of(id, Command.program("echo", List.of("one"))), new Log()));
        assertEquals(ExecutionFailure.Reason.CONNECTION_LOST, e.reason());
        assertTrue(e.getMessage().contains("exit code is unknown"), e.getMessage());
    }

    @Test
    void envsValuesNeverShowInTheCapsulesProcessList() throws Exception {
        String id = server.createCapsule();
        String secret = "supersecret-value-42";
        Log log = new Log();
        CompletableFuture<ExecOutcome> run = CompletableFuture.supplyAsync(() -> {
            try {
                return engine.run(
                        shell(id, "echo started; sleep 2; echo \"$TOKEN\"", Map.of("TOKEN", secret), null), log);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        Await.until(() -> log.text().contains("started\n"), "the command did not start");
        List<ProcessInfo> listed = client.processes().list(id);
        assertFalse(listed.isEmpty(), "the running command is not listed, so this test proves nothing");
        for (ProcessInfo p : listed) {
            assertFalse(p.cmd().contains(secret) || p.args().stream().anyMatch(a -> a.contains(secret)), p.toString());
        }
        ExecOutcome out = run.get(20, TimeUnit.SECONDS);
        assertEquals(0, out.exitCode());
        assertEquals("started\n" + secret + "\n", output(log));
    }

    @Test
    void notesAndTheEndOfTheRunStartOnANewLine() throws Exception {
        Log exited = new Log();
        ExecOutcome out = engine.run(shell(server.createCapsule(), "printf partial; exit 4"), exited);
        assertEquals(4, out.exitCode());
        assertEquals("partial\n", output(exited));

        Log timedOut = new Log();
        assertThrows(
                ExecutionFailure.class,
                () -> engine.run(
                        new ExecutionSpec(
                                server.createCapsule(),
                                Command.shell("printf partial; sleep 30"),
                                null,
                                null,
                                Duration.ofSeconds(1),
                                false,
                                null),
                        timedOut));
        assertTrue(output(timedOut).startsWith("partial\n[wrenn] timed out after 1 s"), timedOut.text());
    }

    @Test
    void theHeaderNamesCommandAndCapsuleAndMasksTheKey() throws Exception {
        String id = server.createCapsule();
        Log log = new Log();
        engine.run(shell(id, "echo key is " + KEY), log);
        assertEquals("[wrenn] Running \"echo key is ****\" in capsule " + id + "\nkey is ****\n", log.text());
    }

    @Test
    void aRefusedStopSignalIsReportedAndSigkillStillFollows() throws Exception {
        String id = server.createCapsule();
        Log log = new Log();
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        Thread build = new Thread(() -> {
            try {
                engine.run(shell(id, "trap '' TERM; echo ready; sleep 60"), log);
                ended.complete(null);
            } catch (Throwable t) {
                ended.complete(t);
            }
        });
        build.start();
        Await.until(() -> log.text().contains("ready\n"), "the command did not start");
        server.failNext(
                "DELETE",
                ".*/" + id + "/processes/\\d+",
                502,
                "application/json",
                "{\"error\":{\"code\":\"agent_error\",\"message\":\"host agent unreachable\"}}");
        build.interrupt();
        assertTrue(ended.get(15, TimeUnit.SECONDS) instanceof InterruptedException);
        assertTrue(log.text().contains("could not send SIGTERM to process"), log.text());
        assertTrue(log.text().contains("host agent unreachable"), log.text());
        Await.until(() -> server.processes(id).isEmpty(), "SIGKILL did not follow the refused SIGTERM");
    }

    @Test
    void aSignalDeathIsWordedAsSuch() {
        assertEquals(
                "The command was killed by a signal (the Wrenn server reports exit code -1 for that, as it has no exit status).",
                new ExecOutcome(-1, null).failureMessage());
        assertEquals("The command exited with code 3.", new ExecOutcome(3, null).failureMessage());
    }

    @Test
    void aProgramThatDoesNotExistIsReportedAsNotStartedWithoutARetryHint() {
        ExecutionFailure e = assertThrows(
                ExecutionFailure.class,
                () -> engine.run(
                        ExecutionSpec.of(server.createCapsule(), Command.program("no-such-program-x", List.of())),
                        new Log()));
        assertEquals(ExecutionFailure.Reason.START_FAILED, e.reason());
        assertTrue(e.getMessage().startsWith("The command could not be started in capsule"), e.getMessage());
        assertTrue(e.getMessage().contains("no-such-program-x"), e.getMessage());
        assertFalse(e.getMessage().contains("Try again later"), e.getMessage());
    }

    @Test
    void aProcessKilledBySignalEndsWithMinusOne() throws Exception {
        ExecOutcome out = engine.run(shell(server.createCapsule(), "echo before; kill -KILL $$"), new Log());
        assertEquals(ExecOutcome.KILLED_BY_SIGNAL, out.exitCode());
        assertFalse(out.succeeded());
    }

    @Test
    void aConnectionCutRightAfterAMessageIsSeenAtOnceAndTheExitCodeStillArrives() throws Exception {
        // The recipe of the independent server: a TCP close with no close frame after the 3rd message.
        String id = server.createCapsule();
        server.dropNextStreamAfter(3);
        Log log = new Log();
        long t0 = System.nanoTime();
        ExecOutcome out = engine.run(shell(id, "for i in $(seq 1 10); do echo $i; sleep 0.2; done; exit 7"), log);
        assertEquals(7, out.exitCode());
        assertTrue(log.text().contains("re-attaching to process"), log.text());
        assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "the cut was not noticed at once");
    }

    @Test
    void aSilentConnectionIsNoticedByTheKeepAliveAndReattached() throws Exception {
        String id = server.createCapsule();
        server.silenceNextStreamAfter(1);
        Log log = new Log();
        try (WrennClient keepingAlive = WrennClient.builder(server.baseUrl(), KEY)
                .keepAlive(Duration.ofSeconds(1), Duration.ofSeconds(2))
                .build()) {
            long t0 = System.nanoTime();
            ExecOutcome out = new CapsuleExecution(keepingAlive, KEY, Duration.ofSeconds(1), null, StderrMarker.NONE)
                    .run(shell(id, "echo one; sleep 8; echo two; exit 5"), log);
            long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
            assertEquals(5, out.exitCode());
            assertTrue(log.text().contains("not even an answer to a keep-alive ping"), log.text());
            assertTrue(output(log).endsWith("two\n"), log.text());
            assertTrue(seconds < 15, "took " + seconds + " s");
        }
    }

    @Test
    void aProcessThatEndedBeforeTheReattachIsNotAMissingCapsule() {
        String id = server.createCapsule();
        server.dropNextStreamAfter(3);
        ExecutionFailure e = assertThrows(
                ExecutionFailure.class,
                () -> engine.run(shell(id, "echo 1; sleep 0.1; echo 2; sleep 0.1; echo 3; exit 7"), new Log()));
        assertEquals(ExecutionFailure.Reason.CONNECTION_LOST, e.reason());
        assertTrue(e.getMessage().contains("ended before it could be re-attached"), e.getMessage());
    }
}
