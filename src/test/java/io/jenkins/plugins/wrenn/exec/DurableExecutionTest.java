package io.jenkins.plugins.wrenn.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.exec.CapsuleExecutionTest.Log;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
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
class DurableExecutionTest {

    static final String KEY = "wrn_durable_key_81c2e";
    static WrennTestServer server;
    static WrennClient client;
    static DurableExecution engine;

    @Parameter
    ServerGeneration generation;

    @BeforeParameterizedClassInvocation
    static void start(ServerGeneration serverGeneration) throws Exception {
        server = WrennTestServer.start(KEY, serverGeneration);
        client = newClient();
        engine = new DurableExecution(client, KEY, Duration.ofSeconds(1), null, chunk -> "<E>");
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        engine.close();
        client.close();
        server.close();
    }

    static WrennClient newClient() {
        return WrennClient.builder(server.baseUrl(), KEY)
                .keepAlive(Duration.ofMillis(250), Duration.ofSeconds(1))
                .build();
    }

    /** Prints numbered lines 1..n, a little apart, then exits with the given code. */
    static Command numbered(int n, int exitCode) {
        return Command.shell(
                "i=1; while [ $i -le " + n + " ]; do echo line-$i; i=$((i+1)); sleep 0.01; done; exit " + exitCode);
    }

    /** Asserts that the log holds line-1 .. line-n, each once and in order, whatever else it holds. */
    static void assertNumberedOnce(String log, int n) {
        List<String> lines = new ArrayList<>();
        for (String l : log.split("\n")) {
            if (l.startsWith("line-")) {
                lines.add(l);
            }
        }
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            expected.add("line-" + i);
        }
        assertEquals(expected, lines, "every numbered line once, in order:\n" + log);
    }

    static ExecOutcome await(DurableRun run) throws Exception {
        return run.outcome().get(60, TimeUnit.SECONDS);
    }

    @Test
    void runsACommandWithBothOutputsApartAndItsExitCode() throws Exception {
        String id = server.createCapsule();
        Log log = new Log();
        DurableRun run = engine.start(ExecutionSpec.of(id, Command.shell("echo out; echo err >&2; exit 3")), log, null);
        ExecOutcome outcome = await(run);
        assertEquals(3, outcome.exitCode());
        assertTrue(log.text().contains("out\n"), log.text());
        assertTrue(log.text().contains("<E>err\n"), log.text());
        assertFalse(log.text().contains("<E>out"), log.text());
        assertTrue(run.state().pid() > 0);
        assertEquals(4, run.state().stdoutOffset());
        assertEquals(4, run.state().stderrOffset());
    }

    @Test
    void capturesStdoutAndKeepsStderrInTheLog() throws Exception {
        String id = server.createCapsule();
        Log log = new Log();
        ExecutionSpec spec =
                new ExecutionSpec(id, Command.shell("printf 'v%s' 1.2; echo warn >&2"), null, null, null, true, null);
        ExecOutcome outcome = await(engine.start(spec, log, null));
        assertEquals("v1.2", outcome.stdout());
        assertFalse(log.text().contains("v1.2"), log.text());
        assertTrue(log.text().contains("warn"), log.text());
    }

    @Test
    void envsAndCwdReachTheCommand() throws Exception {
        String id = server.createCapsule();
        Path dir = Files.createTempDirectory("wrenn-cwd");
        Log log = new Log();
        ExecutionSpec spec = new ExecutionSpec(
                id,
                Command.shell("echo \"$GREETING in $(pwd)\""),
                Map.of("GREETING", "hello"),
                dir.toString(),
                null,
                false,
                null);
        assertEquals(0, await(engine.start(spec, log, null)).exitCode());
        assertTrue(log.text().contains("hello in " + dir.toRealPath()), log.text());
    }

    @Test
    void aSignalDeathEndsWithMinusOne() throws Exception {
        String id = server.createCapsule();
        ExecOutcome outcome = await(engine.start(ExecutionSpec.of(id, Command.shell("kill -9 $$")), new Log(), null));
        assertEquals(ExecOutcome.KILLED_BY_SIGNAL, outcome.exitCode());
    }

    @Test
    void aCutStreamContinuesFromTheFilesWithNoGapAndNoDuplicate() throws Exception {
        String id = server.createCapsule();
        server.dropNextStreamAfter(5);
        Log log = new Log();
        // Output keeps coming while the engine notices the cut and starts its follower.
        ExecOutcome outcome = await(engine.start(ExecutionSpec.of(id, numbered(300, 4)), log, null));
        assertEquals(4, outcome.exitCode());
        assertTrue(log.text().contains("the output stream was cut"), log.text());
        assertNumberedOnce(log.text(), 300);
    }

    @Test
    void aSilentConnectionIsNoticedAndNothingIsLost() throws Exception {
        String id = server.createCapsule();
        server.silenceNextStreamAfter(3);
        Log log = new Log();
        ExecOutcome outcome = await(engine.start(ExecutionSpec.of(id, numbered(200, 0)), log, null));
        assertEquals(0, outcome.exitCode());
        assertNumberedOnce(log.text(), 200);
    }

    @Test
    void aFreshEngineResumesFromTheSavedStateWithNoGapAndNoDuplicate() throws Exception {
        String id = server.createCapsule();
        Path gate = Files.createTempFile("wrenn-gate", "");
        Files.delete(gate);
        // Lines 1..50, then wait for the gate (the "restart" happens there), then 51..100 and exit 7.
        Command command = Command.shell("i=1; while [ $i -le 100 ]; do echo line-$i; [ $i -eq 50 ] && "
                + "while [ ! -e " + gate + " ]; do sleep 0.05; done; i=$((i+1)); done; exit 7");
        WrennClient before = newClient();
        DurableExecution first = new DurableExecution(before, KEY, Duration.ofSeconds(1), null, StderrMarker.NONE);
        Log log1 = new Log();
        DurableRun run = first.start(ExecutionSpec.of(id, command), log1, null);
        Await.until(() -> log1.text().contains("line-50\n"), "the first half of the output");
        RunState saved = roundTrip(run.state());
        String logged = log1.text();
        // Jenkins goes down: its connections go with it, the command runs on.
        before.close();
        first.close();

        Files.createFile(gate);
        Log log2 = new Log();
        DurableRun resumed = engine.resume(saved, log2, null);
        ExecOutcome outcome = await(resumed);
        assertEquals(7, outcome.exitCode());
        assertTrue(log2.text().contains("resuming process " + saved.pid()), log2.text());
        assertNumberedOnce(logged + log2.text(), 100);
        Files.deleteIfExists(gate);
    }

    @Test
    void aProcessThatEndedWhileJenkinsWasDownStillDeliversItsOutputAndExitCode() throws Exception {
        String id = server.createCapsule();
        Path gate = Files.createTempFile("wrenn-gate", "");
        Files.delete(gate);
        Command command = Command.shell("i=1; while [ $i -le 60 ]; do echo line-$i; [ $i -eq 20 ] && " + "while [ ! -e "
                + gate + " ]; do sleep 0.05; done; i=$((i+1)); done; echo bye >&2; exit 5");
        WrennClient before = newClient();
        DurableExecution first = new DurableExecution(before, KEY, Duration.ofSeconds(1), null, StderrMarker.NONE);
        Log log1 = new Log();
        DurableRun run = first.start(ExecutionSpec.of(id, command), log1, null);
        Await.until(() -> log1.text().contains("line-20\n"), "the first part of the output");
        RunState saved = roundTrip(run.state());
        String logged = log1.text();
        before.close();
        first.close();

        Files.createFile(gate);
        Await.until(() -> server.processes(id).isEmpty(), "the command to end while nobody watches");
        Log log2 = new Log();
        ExecOutcome outcome = await(engine.resume(saved, log2, null));
        assertEquals(5, outcome.exitCode());
        assertNumberedOnce(logged + log2.text(), 60);
        assertTrue(log2.text().contains("bye"), log2.text());
        assertFalse(Files.exists(Path.of(saved.controlPrefix() + ".out")), "the control files are removed");
        Files.deleteIfExists(gate);
    }

    @Test
    void aStopReachesATermIgnorerThroughTheWrapperAndSaysItIsGone() throws Exception {
        String id = server.createCapsule();
        Log log = new Log();
        DurableRun run = engine.start(
                ExecutionSpec.of(id, Command.shell("trap '' TERM; echo ready; while :; do sleep 0.1; done")),
                log,
                null);
        Await.until(() -> log.text().contains("ready\n"), "the command to start");
        long commandPid = Long.parseLong(
                Files.readString(Path.of(run.state().controlPrefix() + ".pid")).strip());
        assertTrue(running(commandPid));

        DurableRun.StopResult result = run.stop().get(30, TimeUnit.SECONDS);
        assertEquals(DurableRun.StopResult.GONE, result);
        assertTrue(log.text().contains("sending SIGKILL"), log.text());
        assertTrue(log.text().contains("has stopped"), log.text());
        assertFalse(running(commandPid), "the command lives on");
        assertTrue(server.processes(id).isEmpty());
        assertThrows(CancellationException.class, () -> run.outcome().get(5, TimeUnit.SECONDS));
    }

    @Test
    void aSigtermToTheWrapperAloneReachesTheCommand() throws Exception {
        // The real server signals only the pid it started (the wrapper); the test server would signal
        // the whole tree, so the wrapper is signalled here directly.
        String id = server.createCapsule();
        Log log = new Log();
        DurableRun run = engine.start(
                ExecutionSpec.of(
                        id,
                        Command.shell("trap 'echo got-term; exit 0' TERM; echo ready; while :; do sleep 0.1; done")),
                log,
                null);
        Await.until(() -> log.text().contains("ready\n"), "the command to start");
        assertTrue(ProcessHandle.of(run.state().pid()).orElseThrow().destroy(), "SIGTERM to the wrapper");
        assertEquals(0, await(run).exitCode());
        assertTrue(log.text().contains("got-term\n"), log.text());
    }

    @Test
    void aTimeoutStopsTheCommandAndFailsTheRun() throws Exception {
        String id = server.createCapsule();
        Log log = new Log();
        ExecutionSpec spec =
                new ExecutionSpec(id, Command.shell("sleep 30"), null, null, Duration.ofSeconds(1), false, null);
        DurableRun run = engine.start(spec, log, null);
        ExecutionException e =
                assertThrows(ExecutionException.class, () -> run.outcome().get(30, TimeUnit.SECONDS));
        ExecutionFailure failure = assertInstanceOf(ExecutionFailure.class, e.getCause());
        assertEquals(ExecutionFailure.Reason.TIMED_OUT, failure.reason());
        Await.until(() -> server.processes(id).isEmpty(), "the timed-out process is still running");
    }

    @Test
    void finishedRunsLeaveNoControlFilesBehind() throws Exception {
        String id = server.createCapsule();
        List<DurableRun> runs = new ArrayList<>();
        // More than a batch: the run after a full batch removes it as it starts, a timer the rest.
        for (int i = 0; i <= DurableExecution.REMOVE_BATCH + 1; i++) {
            DurableRun run = engine.start(ExecutionSpec.of(id, Command.shell("echo " + i)), new Log(), null);
            await(run);
            runs.add(run);
        }
        assertTrue(
                Files.exists(Path.of(runs.getLast().state().controlPrefix() + ".status")),
                "kept until removed, for a follower that may still need them");
        for (DurableRun run : runs) {
            Await.until(
                    () -> !Files.exists(Path.of(run.state().controlPrefix() + ".out"))
                            && !Files.exists(Path.of(run.state().controlPrefix() + ".status")),
                    "the control files of " + run.state() + " to be removed");
        }
    }

    @Test
    void aWrongCapsuleFailsClearly() throws Exception {
        ExecutionException e = assertThrows(
                ExecutionException.class,
                () -> engine.start(
                                ExecutionSpec.of("cl-doesnotexist0000000000000", Command.shell("true")),
                                new Log(),
                                null)
                        .outcome()
                        .get(30, TimeUnit.SECONDS));
        ExecutionFailure failure = assertInstanceOf(ExecutionFailure.class, e.getCause());
        assertEquals(ExecutionFailure.Reason.CAPSULE_NOT_FOUND, failure.reason());
    }

    /** Whether the local process runs; a zombie (killed, not yet reaped by a container's init) does not. */
    static boolean running(long pid) throws Exception {
        Path stat = Path.of("/proc/" + pid + "/stat");
        if (!Files.exists(stat)) {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
        try {
            String text = Files.readString(stat);
            return text.charAt(text.lastIndexOf(')') + 2) != 'Z';
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
    }

    static RunState roundTrip(RunState state) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(state);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (RunState) in.readObject();
        }
    }
}
