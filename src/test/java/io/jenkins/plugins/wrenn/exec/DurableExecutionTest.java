package io.jenkins.plugins.wrenn.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.api.ProcessInfo;
import io.jenkins.plugins.wrenn.api.Signal;
import io.jenkins.plugins.wrenn.api.StreamListener;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
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

    /** The log after the run's header line, which it checks. */
    static String output(Log log) {
        String text = log.text();
        assertTrue(text.startsWith("[wrenn] Running \""), text);
        return text.substring(text.indexOf('\n') + 1);
    }

    static ExecutionSpec shell(String capsule, String line) {
        return ExecutionSpec.of(capsule, Command.shell(line));
    }

    /** The failure a run ended with; fails the test when it ended with an outcome. */
    static ExecutionFailure failure(DurableRun run) {
        ExecutionException e =
                assertThrows(ExecutionException.class, () -> run.outcome().get(60, TimeUnit.SECONDS));
        return assertInstanceOf(ExecutionFailure.class, e.getCause());
    }

    /** Starts a command that ignores SIGTERM and waits until it runs. */
    static DurableRun startTermIgnorer(String capsule, Log log) throws Exception {
        DurableRun run =
                engine.start(shell(capsule, "trap '' TERM; echo ready; while :; do sleep 0.1; done"), log, null);
        Await.until(() -> log.text().contains("ready\n"), "the command to start");
        return run;
    }

    /**
     * A client that pings soon after silence but gives a ping 5 s: a loaded machine that stalls
     * for a second must not read as a cut (whose note would change the logs these tests compare).
     */
    static WrennClient newClient() {
        return WrennClient.builder(server.baseUrl(), KEY)
                .keepAlive(Duration.ofMillis(250), Duration.ofSeconds(5))
                .build();
    }

    /** The bytes of the lines "line-1" to "line-n", each with its line break. */
    static long numberedBytes(int n) {
        long bytes = 0;
        for (int i = 1; i <= n; i++) {
            bytes += ("line-" + i + "\n").length();
        }
        return bytes;
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

    /** A control file of the run, in its capsule's temporary directory. */
    static Path control(DurableRun run, String suffix) {
        return control(run.state(), suffix);
    }

    static Path control(RunState state, String suffix) {
        return server.tmpDir(state.capsuleId()).resolve(state.controlPrefix() + suffix);
    }

    /** The processes of the capsule whose pids the command wrote to these files in its HOME, once it has. */
    static List<Long> pidsIn(String capsule, String... files) throws Exception {
        return pidsIn(server, capsule, files);
    }

    static List<Long> pidsIn(WrennTestServer server, String capsule, String... files) throws Exception {
        List<Long> pids = new ArrayList<>();
        for (String f : files) {
            Path file = server.workDir(capsule).resolve(f);
            Await.until(() -> Files.exists(file) && !Files.readString(file).isBlank(), f + " to be written");
            pids.add(Long.parseLong(Files.readString(file).strip()));
        }
        return pids;
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
        Path dir = Files.createDirectories(server.workDir(id).resolve("elsewhere"));
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
    void aSignalDeathEndsWithTheCodeShGivesAndAKilledWrapperWithMinusOne() throws Exception {
        String id = server.createCapsule();
        ExecOutcome outcome =
                await(engine.start(ExecutionSpec.of(id, Command.shell("echo before; kill -9 $$")), new Log(), null));
        assertEquals(137, outcome.exitCode(), "128 + 9, as sh reports it");
        assertEquals(
                "The command exited with code 137, which is also how a shell reports a death by signal 9.",
                outcome.failureMessage());
        assertEquals("The command exited with code 3.", new ExecOutcome(3, null).failureMessage());

        // The wrapper itself killed: it left no status, and the server says -1.
        Log log = new Log();
        DurableRun run = engine.start(ExecutionSpec.of(id, Command.shell("echo ready; sleep 2")), log, null);
        Await.until(() -> log.text().contains("ready\n"), "the command to start");
        assertTrue(ProcessHandle.of(run.state().pid()).orElseThrow().destroyForcibly());
        ExecOutcome killed = await(run);
        assertEquals(ExecOutcome.KILLED_BY_SIGNAL, killed.exitCode());
        assertEquals(
                "The command was killed by a signal together with the wrapper that keeps its exit status, so it left"
                        + " none (the Wrenn server reports exit code -1 for that).",
                killed.failureMessage());
    }

    @Test
    void everyExitCodeArrivesAsShReportsItLiveAndThroughTheFollower() throws Exception {
        String id = server.createCapsule();
        // 147 to 150 as codes are SIGSTOP, SIGTSTP, SIGTTIN and SIGTTOU plus 128: nothing stops.
        int[] codes = {0, 1, 126, 127, 128, 129, 130, 137, 143, 145, 147, 150, 192, 255};
        // Live: all at once (a run waits without a thread, and each has its own stream).
        List<DurableRun> live = new ArrayList<>();
        for (int code : codes) {
            live.add(engine.start(ExecutionSpec.of(id, Command.shell("exit " + code)), new Log(), null));
        }
        for (int i = 0; i < codes.length; i++) {
            assertEquals(codes[i], await(live.get(i)).exitCode(), "live, exit " + codes[i]);
        }
        // Through the follower: one at a time, as the cut is the next stream's.
        for (int code : codes) {
            server.dropNextStreamAfter(1);
            Log log = new Log();
            ExecOutcome followed = await(
                    engine.start(ExecutionSpec.of(id, Command.shell("echo a; sleep 0.1; exit " + code)), log, null));
            assertTrue(log.text().contains("the output stream was cut"), log.text());
            assertEquals(code, followed.exitCode(), "through the follower, exit " + code);
        }
    }

    @Test
    void aFullyRedirectedDaemonDoesNotKeepTheStepWaiting() throws Exception {
        String id = server.createCapsule();
        ExecOutcome out = await(engine.start(
                shell(id, "nohup sleep 60 >/dev/null 2>&1 & echo $! >daemon.pid; echo started"), new Log(), null));
        assertEquals(0, out.exitCode());
        long daemon = pidsIn(id, "daemon.pid").getFirst();
        assertTrue(running(daemon), "the step waited for the daemon to end");
        ProcessHandle.of(daemon).ifPresent(ProcessHandle::destroyForcibly);
    }

    @Test
    void theCommandHasSigintAndSigquitAsTheBareCommandHasThem() throws Exception {
        String id = server.createCapsule();
        ExecOutcome out = await(engine.start(
                new ExecutionSpec(
                        id,
                        Command.program("grep", List.of("SigIgn", "/proc/self/status")),
                        null,
                        null,
                        null,
                        true,
                        null),
                new Log(),
                null));
        long ignored =
                Long.parseLong(out.stdout().replaceFirst("SigIgn:\\s*", "").strip(), 16);
        // 32 and 33 are the C library's own, ignored in every process the test server starts.
        assertEquals(0, ignored & ~0x180000000L, out.stdout());
    }

    @Test
    void aStopReachesEveryProcessTheCommandStartedAndLeavesNoShellNoise() throws Exception {
        String id = server.createCapsule();
        Log log = new Log();
        DurableRun run = engine.start(
                shell(id, "sleep 60 & echo $! >kid1; sleep 60 & echo $! >kid2; echo ready; wait"), log, null);
        List<Long> kids = pidsIn(id, "kid1", "kid2");
        Await.until(() -> log.text().contains("ready\n"), "the command to start");
        assertEquals(DurableRun.StopResult.GONE, run.stop().get(30, TimeUnit.SECONDS));
        for (long kid : kids) {
            assertFalse(running(kid), "process " + kid + " that the command started lives on");
        }
        assertEquals(
                List.of(
                        "ready",
                        "[wrenn] aborted; stopping the process",
                        "[wrenn] process " + run.state().pid() + " has stopped"),
                output(log).lines().toList(),
                "only the command's output and the plugin's notes");
    }

    @Test
    void aTimeoutLeavesNoShellNoiseInTheLog() throws Exception {
        String id = server.createCapsule();
        Log log = new Log();
        failure(engine.start(
                new ExecutionSpec(
                        id, Command.shell("echo ready; sleep 30"), null, null, Duration.ofSeconds(3), false, null),
                log,
                null));
        // 3 s: the timeout counts from before the stream opens, and "ready" must be in the log first.
        assertEquals(
                List.of(
                        "ready",
                        "[wrenn] timed out after 3 s; stopping the process",
                        "[wrenn] process PID has stopped"),
                output(log)
                        .replaceAll("process \\d+ has", "process PID has")
                        .lines()
                        .toList(),
                "only the command's output and the plugin's notes");
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
    void aMessageThatAReplacedStreamHandsOverLateReachesNeitherTheLogNorTheOffsets() throws Exception {
        String id = server.createCapsule();
        Path gate = server.workDir(id).resolve("gate");
        // The cut comes with the second output message, which the command sends only once the test
        // holds the live stream's sink.
        server.dropNextStreamAfter(2);
        Log log = new Log();
        DurableRun run = engine.start(
                ExecutionSpec.of(
                        id,
                        Command.shell("echo line-1; while [ ! -e " + gate + " ]; do sleep 0.02; done; i=2; "
                                + "while [ $i -le 300 ]; do echo line-$i; i=$((i+1)); sleep 0.01; done; exit 4")),
                log,
                null);
        Await.until(() -> log.text().contains("line-1\n") && run.state().pid() > 0, "the live stream");
        StreamListener live = run.currentSink();
        Files.createFile(gate);
        Await.until(() -> run.status().startsWith("following"), "the follower after the cut");
        // What a stream that lost a race with its keep-alive deadline may still hand over: a line
        // it had read, which the follower reads again from the files.
        live.onStdout("line-6\n");
        ExecOutcome outcome = await(run);
        assertEquals(4, outcome.exitCode());
        assertNumberedOnce(log.text(), 300);
        long bytes = 0;
        for (int i = 1; i <= 300; i++) {
            bytes += ("line-" + i + "\n").length();
        }
        assertEquals(bytes, run.state().stdoutOffset(), "the offsets count what is in the log, no more");
    }

    @Test
    void aSlowLogMissesNothingOfALargeOutputAndSeesNoCutWhenTheServerEndsDuringItsPause() throws Exception {
        // The server sends all of it and closes at once; the stream stops reading while more than
        // the client's small listener backlog waits for the log, and the JDK may drop what it still
        // holds when the server's end arrives then. The run reads that from the files, without a
        // word in the log.
        String id = server.createCapsule();
        int lines = 60_000;
        Log slow = new Log() {
            @Override
            public void write(byte[] b, int off, int len) {
                super.write(b, off, len);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        ExecOutcome outcome;
        try (WrennClient small = WrennClient.builder(server.baseUrl(), KEY)
                        .keepAlive(Duration.ofMillis(250), Duration.ofSeconds(1))
                        .listenerBacklog(64 * 1024, 64 * 1024)
                        .build();
                DurableExecution pausing =
                        new DurableExecution(small, KEY, Duration.ofSeconds(1), null, chunk -> "<E>")) {
            outcome = await(pausing.start(shell(id, "seq -f line-%g " + lines + "; exit 3"), slow, null));
        }
        assertEquals(3, outcome.exitCode());
        assertNumberedOnce(slow.text(), lines);
        assertEquals(1, slow.text().lines().filter(l -> l.startsWith("[wrenn]")).count(), slow.text());
    }

    @Test
    void aSilentConnectionIsNoticedAndNothingIsLost() throws Exception {
        String id = server.createCapsule();
        server.silenceNextStreamAfter(3);
        Log log = new Log();
        ExecOutcome outcome;
        try (WrennClient quick = WrennClient.builder(server.baseUrl(), KEY)
                        .keepAlive(Duration.ofMillis(250), Duration.ofSeconds(1))
                        .build();
                DurableExecution noticing =
                        new DurableExecution(quick, KEY, Duration.ofSeconds(1), null, chunk -> "<E>")) {
            outcome = await(noticing.start(ExecutionSpec.of(id, numbered(200, 0)), log, null));
        }
        assertEquals(0, outcome.exitCode());
        assertNumberedOnce(log.text(), 200);
    }

    @Test
    void aFreshEngineResumesFromTheSavedStateWithNoGapAndNoDuplicate() throws Exception {
        String id = server.createCapsule();
        Path gate = server.workDir(id).resolve("gate");
        // Lines 1..50, then wait for the gate (the "restart" happens there), then 51..100 and exit 7.
        Command command = Command.shell("i=1; while [ $i -le 100 ]; do echo line-$i; [ $i -eq 50 ] && "
                + "while [ ! -e " + gate + " ]; do sleep 0.05; done; i=$((i+1)); done; exit 7");
        WrennClient before = newClient();
        DurableExecution first = new DurableExecution(before, KEY, Duration.ofSeconds(1), null, StderrMarker.NONE);
        Log log1 = new Log();
        DurableRun run = first.start(ExecutionSpec.of(id, command), log1, null);
        // The sink writes the log before it counts what it wrote: a state saved in between is one
        // chunk behind, and its resume would write that chunk again.
        Await.until(() -> run.state().stdoutOffset() == numberedBytes(50), "the first half of the output");
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
    }

    @Test
    void aRestartBeforeThePidCameBackFindsTheWrapperByItsControlPrefixAndResumes() throws Exception {
        String id = server.createCapsule();
        Path gate = server.workDir(id).resolve("gate");
        Command command =
                Command.shell("echo line-1; while [ ! -e " + gate + " ]; do sleep 0.05; done; echo line-2; exit 6");
        WrennClient before = newClient();
        DurableExecution first = new DurableExecution(before, KEY, Duration.ofSeconds(1), null, StderrMarker.NONE);
        // The process runs, and the controller goes down before its pid comes back.
        server.delayNextStartReply(Duration.ofSeconds(10));
        DurableRun run = first.start(ExecutionSpec.of(id, command), new Log(), null);
        Await.until(() -> !server.processes(id).isEmpty(), "the command to start");
        RunState saved = roundTrip(run.state());
        assertEquals(-1, saved.pid(), "no pid was saved");
        first.detach();

        Files.createFile(gate);
        Log log2 = new Log();
        ExecOutcome outcome = await(engine.resume(saved, log2, null));
        assertEquals(6, outcome.exitCode(), log2.text());
        assertNumberedOnce(log2.text(), 2);
    }

    @Test
    void aRestartBeforeAGatedCommandWasLetRunResumesItAndOpensItsGate() throws Exception {
        String id = server.createCapsule();
        WrennClient before = newClient();
        DurableExecution first = new DurableExecution(before, KEY, Duration.ofSeconds(1), null, StderrMarker.NONE);
        // The wrapper waits at its gate; the controller goes down before it learns its pid.
        server.delayNextAnswer("POST", ".*/" + id + "/exec", Duration.ofSeconds(3));
        DurableRun run = first.start(
                new ExecutionSpec(
                        id, Command.shell("echo \"$A\"; exit 3"), Map.of("A", "line-1"), null, null, false, null),
                new Log(),
                null);
        Await.until(() -> !server.processes(id).isEmpty(), "the wrapper to wait at its gate");
        RunState saved = roundTrip(run.state());
        first.detach();

        Log log2 = new Log();
        ExecOutcome outcome = await(engine.resume(saved, log2, null));
        assertEquals(3, outcome.exitCode(), log2.text());
        assertNumberedOnce(log2.text(), 1);
        Await.until(() -> server.processes(id).isEmpty(), "nothing of the run to be left");
    }

    @Test
    void aStopRightAfterAResumeThatHasNoPidYetKeepsTheGatedCommandFromEverRunning() throws Exception {
        String id = server.createCapsule();
        DurableExecution first = new DurableExecution(newClient(), KEY, Duration.ofSeconds(1), null, StderrMarker.NONE);
        // The wrapper waits at its gate; the controller goes down before it learns its pid.
        server.delayNextAnswer("POST", ".*/" + id + "/exec", Duration.ofSeconds(3));
        DurableRun before = first.start(gated(id), new Log(), null);
        Await.until(() -> !server.processes(id).isEmpty(), "the wrapper to wait at its gate");
        RunState saved = roundTrip(before.state());
        assertEquals(-1, saved.pid(), "no pid was saved");
        first.detach();

        // The build is aborted while the resumed run still looks for its wrapper.
        server.delayNextAnswer("GET", ".*/" + id + "/processes", Duration.ofMillis(500));
        Log log = new Log();
        DurableRun run = engine.resume(saved, log, null);
        assertEquals(DurableRun.StopResult.GONE, run.stop().get(30, TimeUnit.SECONDS), log.text());
        assertThrows(CancellationException.class, () -> run.outcome().get(5, TimeUnit.SECONDS));
        Await.until(() -> server.processes(id).isEmpty(), "the gated process to be killed");
        assertFalse(
                Files.exists(server.workDir(id).resolve("ran.txt")), "the command ran after its stop:\n" + log.text());
        assertFalse(log.text().contains("resuming"), "nothing is resumed after the stop:\n" + log.text());
    }

    @Test
    void aRestartBeforeTheCommandStartedSaysSoAndKeepsItFromEverStarting() throws Exception {
        String id = server.createCapsule();
        RunState never = new RunState(id, ".wrenn-run-00000000000000f1", -1, 0, 0, null, false, 0, 0);
        Log log = new Log();
        ExecutionFailure e = failure(engine.resume(never, log, null));
        assertTrue(e.getMessage().contains("before the command started"), e.getMessage());
        // No process is named that the capsule did not list.
        assertTrue(log.text().contains("its process is no longer listed"), log.text());
        assertFalse(log.text().contains("resuming process"), log.text());
    }

    @Test
    void aWrapperKilledFromOutsideLeavesNoCommandRunningUnseen() throws Exception {
        String id = server.createCapsule();
        server.dropNextStreamAfter(1);
        Log log = new Log();
        DurableRun run = engine.start(shell(id, "echo ready; sleep 60"), log, null);
        Await.until(() -> log.text().contains("following process"), "the follower to take over");
        long command = Long.parseLong(Files.readString(control(run, ".pid")).strip());
        ProcessHandle.of(run.state().pid()).ifPresent(ProcessHandle::destroyForcibly);
        ExecutionFailure e = failure(run);
        assertTrue(e.getMessage().contains("without leaving an exit status"), e.getMessage());
        Await.until(() -> !running(command), "the orphaned command to be stopped");
    }

    @Test
    void aProcessThatEndedWhileJenkinsWasDownStillDeliversItsOutputAndExitCode() throws Exception {
        String id = server.createCapsule();
        Path gate = server.workDir(id).resolve("gate");
        Command command = Command.shell("i=1; while [ $i -le 60 ]; do echo line-$i; [ $i -eq 20 ] && " + "while [ ! -e "
                + gate + " ]; do sleep 0.05; done; i=$((i+1)); done; echo bye >&2; exit 5");
        WrennClient before = newClient();
        DurableExecution first = new DurableExecution(before, KEY, Duration.ofSeconds(1), null, StderrMarker.NONE);
        Log log1 = new Log();
        DurableRun run = first.start(ExecutionSpec.of(id, command), log1, null);
        Await.until(() -> run.state().stdoutOffset() == numberedBytes(20), "the first part of the output");
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
        assertFalse(Files.exists(control(saved, ".out")), "the control files are removed");
    }

    @Test
    void aStopReachesATermIgnorerThroughTheWrapperAndSaysItIsGone() throws Exception {
        String id = server.createCapsule();
        Log log = new Log();
        DurableRun run = startTermIgnorer(id, log);
        long commandPid = Long.parseLong(Files.readString(control(run, ".pid")).strip());
        assertTrue(running(commandPid));

        DurableRun.StopResult result = run.stop().get(30, TimeUnit.SECONDS);
        assertEquals(DurableRun.StopResult.GONE, result);
        assertTrue(log.text().contains("sending SIGKILL"), log.text());
        assertTrue(log.text().contains("has stopped"), log.text());
        assertFalse(running(commandPid), "the command lives on");
        // The newest server sends the exit message before it drops the process from its list.
        Await.until(() -> server.processes(id).isEmpty(), "the wrapper to leave the server's list");
        assertThrows(CancellationException.class, () -> run.outcome().get(5, TimeUnit.SECONDS));
    }

    @Test
    void theServersOwnSigtermToTheWrapperNeverEndsItBeforeItHasTheCommandsStatus() throws Exception {
        // What a server does on its own when asked to signal the pid it started: v0.1.5 signals
        // that pid, the wrapper, which the command does not hear; newer servers its process group,
        // which the command is in, as it would be without the wrapper.
        String id = server.createCapsule();
        Log log = new Log();
        DurableRun run = engine.start(
                ExecutionSpec.of(
                        id, Command.shell("trap 'echo got-term' TERM; echo ready; sleep 1; echo done; exit 4")),
                log,
                null);
        Await.until(() -> log.text().contains("ready\n"), "the command to start");
        client.processes().kill(id, Long.toString(run.state().pid()), Signal.SIGTERM);
        assertEquals(4, await(run).exitCode());
        // (The command's own shell may say "Terminated" on standard error when its sleep gets it.)
        assertEquals(
                generation == ServerGeneration.CURRENT ? "ready\ngot-term\ndone\n" : "ready\ndone\n",
                output(log).replaceAll("<E>.*\n", ""));
    }

    @Test
    void aStopWhileTheStreamIsStillOpeningStartsNothing() throws Exception {
        String id = server.createCapsule();
        // The upgrade outlasts the stop's wait for a pid (the 1 s grace here).
        // Far beyond the stop's 1 s wait for the start, whatever a loaded machine adds to it.
        server.delayNext("GET", ".*/" + id + "/exec/stream", Duration.ofSeconds(4));
        Log log = new Log();
        DurableRun run = engine.start(shell(id, "sleep 30"), log, null);
        Thread.sleep(200);
        assertEquals(DurableRun.StopResult.GONE, run.stop().get(30, TimeUnit.SECONDS));
        assertThrows(CancellationException.class, () -> run.outcome().get(5, TimeUnit.SECONDS));
        assertTrue(log.text().contains("[wrenn] the command had not started; nothing is left running"), log.text());
        // Past the delayed upgrade: a start sent then would have left the command running unseen.
        Thread.sleep(4500);
        assertTrue(server.processes(id).isEmpty(), "the command started after its stop");
    }

    @Test
    void aStopBeforeThePidArrivesFindsTheCommandByItsControlFilesAndStopsIt() throws Exception {
        String id = server.createCapsule();
        // The start went out and the process runs, but its pid is slower than the stop's wait for it.
        server.delayNextStartReply(Duration.ofSeconds(4));
        Log log = new Log();
        DurableRun run = engine.start(shell(id, "sleep 30"), log, null);
        Await.until(() -> !server.processes(id).isEmpty(), "the command to start");
        assertEquals(DurableRun.StopResult.GONE, run.stop().get(30, TimeUnit.SECONDS));
        assertThrows(CancellationException.class, () -> run.outcome().get(5, TimeUnit.SECONDS));
        Await.until(() -> server.processes(id).isEmpty(), "the command to be stopped");
        assertTrue(log.text().contains(" has stopped"), log.text());
    }

    @Test
    void aStopBeforeThePidArrivesThatCannotListTheProcessesIsNotConfirmed() throws Exception {
        // A server of its own: the list faults below, however many the stop uses, go with it.
        try (WrennTestServer own = WrennTestServer.start(KEY, generation);
                WrennClient ownClient = WrennClient.builder(own.baseUrl(), KEY).build();
                DurableExecution ownEngine =
                        new DurableExecution(ownClient, KEY, Duration.ofSeconds(1), null, StderrMarker.NONE)) {
            String id = own.createCapsule();
            own.delayNextStartReply(Duration.ofSeconds(4));
            for (int i = 0; i < 100; i++) {
                own.failNext("GET", ".*/" + id + "/processes", 403, "text/plain", "no");
            }
            Log log = new Log();
            DurableRun run = ownEngine.start(shell(id, "sleep 30"), log, null);
            Await.until(() -> !own.processes(id).isEmpty(), "the command to start");
            assertEquals(DurableRun.StopResult.UNCONFIRMED, run.stop().get(30, TimeUnit.SECONDS));
            assertTrue(log.text().contains("[wrenn] could not confirm that the command did not start"), log.text());
        }
    }

    @Test
    void aRunFailedByTheCapsuleCheckWhileItsStreamOpensStartsNothing() throws Exception {
        String id = server.createCapsule();
        // The capsule check (after 500 ms) finds the capsule paused while the upgrade still waits;
        // by the time the upgrade is done, the capsule runs again and would take the start.
        server.delayNext("GET", ".*/" + id + "/exec/stream", Duration.ofMillis(1500));
        server.setStatus(id, "paused");
        DurableRun run = engine.start(shell(id, "sleep 30"), new Log(), null);
        ExecutionFailure e = failure(run);
        assertEquals(ExecutionFailure.Reason.CAPSULE_NOT_RUNNING, e.reason(), e.getMessage());
        server.setStatus(id, "running");
        Thread.sleep(2000);
        assertTrue(server.processes(id).isEmpty(), "the command started after its run had failed");
    }

    /** A command with envs: started behind a gate; it leaves ran.txt in HOME if it ever runs. */
    static ExecutionSpec gated(String capsule) {
        return new ExecutionSpec(
                capsule, Command.shell("echo \"$A\" >ran.txt; sleep 30"), Map.of("A", "ran"), null, null, false, null);
    }

    @Test
    void aStopDuringASlowGatedStartKeepsTheGateShutAndKillsTheProcess() throws Exception {
        String id = server.createCapsule();
        // The capsule starts the wrapper at once, and answers after the stop's wait for a pid.
        server.delayNextAnswer("POST", ".*/" + id + "/exec", Duration.ofSeconds(3));
        Log log = new Log();
        DurableRun run = engine.start(gated(id), log, null);
        Await.until(() -> !server.processes(id).isEmpty(), "the wrapper to wait at its gate");
        assertEquals(DurableRun.StopResult.GONE, run.stop().get(30, TimeUnit.SECONDS), log.text());
        assertThrows(CancellationException.class, () -> run.outcome().get(5, TimeUnit.SECONDS));
        // Past the delayed answer: a gate opened then would run the command.
        Await.until(() -> server.requests("POST", ".*/" + id + "/exec").size() >= 3, "the start to be answered");
        Await.until(() -> server.processes(id).isEmpty(), "the gated process to be killed");
        assertFalse(Files.exists(server.workDir(id).resolve("ran.txt")), "the command ran after its stop");
    }

    @Test
    void aStopBeforeTheCapsuleTookTheGatedStartKeepsItFromEverRunning() throws Exception {
        String id = server.createCapsule();
        // The start reaches the capsule only after the stop has looked for it.
        server.delayNext("POST", ".*/" + id + "/exec", Duration.ofSeconds(5));
        Log log = new Log();
        DurableRun run = engine.start(gated(id), log, null);
        Thread.sleep(200);
        assertEquals(DurableRun.StopResult.GONE, run.stop().get(30, TimeUnit.SECONDS), log.text());
        assertTrue(log.text().contains("never will"), log.text());
        Await.until(() -> server.requests("POST", ".*/" + id + "/exec").size() >= 2, "the start's own stop");
        Await.until(() -> server.processes(id).isEmpty(), "the gated process to be killed");
        assertFalse(Files.exists(server.workDir(id).resolve("ran.txt")), "the command ran after its stop");
    }

    @Test
    void aGatedRunFailedByTheCapsuleCheckDuringItsStartNeverRunsItsCommand() throws Exception {
        String id = server.createCapsule();
        server.delayNextAnswer("POST", ".*/" + id + "/exec", Duration.ofSeconds(2));
        DurableRun run = engine.start(gated(id), new Log(), null);
        Await.until(() -> !server.processes(id).isEmpty(), "the wrapper to wait at its gate");
        // The capsule check (after 500 ms) finds it paused while the start is still unanswered.
        server.setStatus(id, "paused");
        ExecutionFailure e = failure(run);
        assertEquals(ExecutionFailure.Reason.CAPSULE_NOT_RUNNING, e.reason(), e.getMessage());
        server.setStatus(id, "running");
        Await.until(() -> server.processes(id).isEmpty(), "the gated process to be killed");
        assertFalse(Files.exists(server.workDir(id).resolve("ran.txt")), "the command ran after its run had failed");
    }

    @Test
    void aStopEndsWithinItsDeadlineHoweverSlowTheServer() throws Exception {
        try (DurableExecution bounded = new DurableExecution(
                client, KEY, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(3), null, c -> "<E>")) {
            String id = server.createCapsule();
            Log log = new Log();
            DurableRun run =
                    bounded.start(shell(id, "trap '' TERM; echo ready; while :; do sleep 0.1; done"), log, null);
            Await.until(() -> log.text().contains("ready\n"), "the command to start");
            long command = Long.parseLong(Files.readString(control(run, ".pid")).strip());
            // The stop's first request takes effect, and its answer is held far beyond the deadline.
            server.delayNextAnswer("POST", ".*/" + id + "/exec", Duration.ofSeconds(15));
            long t0 = System.nanoTime();
            DurableRun.StopResult result = run.stop().get(30, TimeUnit.SECONDS);
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals(DurableRun.StopResult.UNCONFIRMED, result, log.text());
            assertTrue(took < 5_000, "the stop took " + took + " ms, beyond its 3 s deadline");
            assertTrue(log.text().contains("no answer within 3 s"), log.text());
            ProcessHandle.of(command).ifPresent(ProcessHandle::destroyForcibly);
            Await.until(() -> server.processes(id).isEmpty(), "the test's own clean-up");
        }
    }

    @Test
    void aStopSignalsNoProcessThatTheCommandWroteIntoItsPidFile() throws Exception {
        String id = server.createCapsule();
        Process victim = new ProcessBuilder("sleep", "60").start();
        try {
            Log log = new Log();
            DurableRun run = engine.start(
                    shell(
                            id,
                            "echo ready; sleep 0.5; echo " + victim.pid()
                                    + " >\"${TMPDIR:-/tmp}/$WRENN_RUN.pid\"; sleep 60"),
                    log,
                    null);
            Await.until(() -> log.text().contains("ready\n"), "the command to start");
            Await.until(
                    () -> Files.readString(control(run, ".pid")).strip().equals(Long.toString(victim.pid())),
                    "the command to forge its pid file");
            assertEquals(DurableRun.StopResult.GONE, run.stop().get(30, TimeUnit.SECONDS), log.text());
            assertTrue(victim.isAlive(), "the stop signalled a process that is not the run's");
        } finally {
            victim.destroyForcibly();
        }
    }

    @Test
    void aTimeoutStopsTheCommandAndFailsTheRun() throws Exception {
        String id = server.createCapsule();
        Log log = new Log();
        ExecutionSpec spec =
                new ExecutionSpec(id, Command.shell("sleep 30"), null, null, Duration.ofSeconds(1), false, null);
        long t0 = System.nanoTime();
        ExecutionFailure failure = failure(engine.start(spec, log, null));
        assertEquals(ExecutionFailure.Reason.TIMED_OUT, failure.reason());
        assertTrue(failure.getMessage().startsWith("The command timed out after 1 s"), failure.getMessage());
        assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "the timeout took too long");
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
                Files.exists(control(runs.getLast(), ".status")),
                "kept until removed, for a follower that may still need them");
        for (DurableRun run : runs) {
            Await.until(
                    () -> !Files.exists(control(run, ".out")) && !Files.exists(control(run, ".status")),
                    "the control files of " + run.state() + " to be removed");
        }
        try (var left = Files.list(server.tmpDir(id))) {
            assertEquals(List.of(), left.toList(), "and nothing else is left in the capsule's temporary directory");
        }
    }

    @Test
    void capsuleProblemsAreClearAndNothingStarts() throws Exception {
        ExecutionFailure missing =
                failure(engine.start(shell("cl-0000000000000000000000000", "true"), new Log(), null));
        assertEquals(ExecutionFailure.Reason.CAPSULE_NOT_FOUND, missing.reason());
        assertTrue(missing.getMessage().startsWith("Capsule not found: cl-0000000000000000000000000"));

        ExecutionFailure invalid = failure(engine.start(shell("cap_abc123", "true"), new Log(), null));
        assertEquals(ExecutionFailure.Reason.INVALID_CAPSULE_ID, invalid.reason());
        assertTrue(invalid.getMessage().contains("'cap_abc123'"), invalid.getMessage());

        String paused = server.createCapsule();
        server.setStatus(paused, "paused");
        ExecutionFailure notRunning = failure(engine.start(shell(paused, "true"), new Log(), null));
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
        // The server waits this long for a browser-style auth message before it refuses the stream.
        server.setAuthWait(Duration.ofSeconds(5));
        String id = server.createCapsule();
        long t0 = System.nanoTime();
        try (WrennClient wrong =
                        WrennClient.builder(server.baseUrl(), "wrn_not_it").build();
                DurableExecution wrongEngine =
                        new DurableExecution(wrong, "wrn_not_it", Duration.ofSeconds(1), null, StderrMarker.NONE)) {
            ExecutionFailure e =
                    failure(wrongEngine.start(shell(id, "true").withCredentialsName("wrenn-key"), new Log(), null));
            assertEquals(ExecutionFailure.Reason.AUTHENTICATION_FAILED, e.reason());
            assertTrue(e.getMessage().startsWith("Authentication failed for credentials wrenn-key"), e.getMessage());
            assertFalse(e.getMessage().contains("wrn_not_it"), e.getMessage());
        }
        assertTrue(System.nanoTime() - t0 < 3_000_000_000L, "waited for the stream's 5 s auth timeout");
        assertTrue(server.processes(id).isEmpty());
    }

    @Test
    void aShortCommandCostsNoCapsuleRequestALongerOneGetsItsCheckAndPings() throws Exception {
        String id = server.createCapsule();
        String capsule = "/api/v1/capsules/" + id;
        long t0 = System.nanoTime();
        assertEquals(0, await(engine.start(shell(id, "true"), new Log(), null)).exitCode());
        if (System.nanoTime() - t0 < DurableExecution.CAPSULE_CHECK_DELAY.toNanos()) {
            assertTrue(server.requests("GET", capsule).isEmpty(), "a GET of the capsule for a short command");
        } else {
            // A loaded machine made even `true` outlast the check's delay: the check may have run, once.
            assertTrue(server.requests("GET", capsule).size() <= 1, "more than one check of the capsule");
        }
        int checksBefore = server.requests("GET", capsule).size();

        // Without pings the server would pause the capsule 3 s into the command.
        server.setIdleTimeout(id, 3);
        assertEquals(
                0, await(engine.start(shell(id, "sleep 4.5"), new Log(), null)).exitCode());
        assertEquals(checksBefore + 1, server.requests("GET", capsule).size());
        assertFalse(server.requests("POST", capsule + "/ping").isEmpty(), "no ping in 4.5 s with a 3 s idle timeout");
        assertEquals("running", server.status(id));
    }

    @Test
    void pingsKeepABusyCapsuleFromBeingPaused() throws Exception {
        String id = server.createCapsule();
        // 2 s: the first ping comes after the 500 ms capsule check and its answer.
        server.setIdleTimeout(id, 2);
        try (DurableExecution pinging =
                new DurableExecution(client, KEY, Duration.ofSeconds(1), Duration.ofMillis(300), StderrMarker.NONE)) {
            ExecOutcome out = await(pinging.start(shell(id, "sleep 4.5; echo done"), new Log(), null));
            assertEquals(0, out.exitCode());
        }
        assertEquals("running", server.status(id));
        assertTrue(server.requests("POST", ".*/" + id + "/ping").size() >= 5);

        String idle = server.createCapsule();
        server.setIdleTimeout(idle, 2);
        Await.until(
                () -> "paused".equals(server.status(idle)),
                "the test server's auto-pause, which this test needs to mean anything");
    }

    @Test
    void serverErrorOnTheStreamSaysServerError() throws Exception {
        String id = server.createCapsule();
        server.failNext("GET", ".*/exec/stream", 500, "text/html", "<h1>oops</h1>");
        ExecutionFailure e = failure(engine.start(shell(id, "true"), new Log(), null));
        assertEquals(ExecutionFailure.Reason.SERVER_ERROR, e.reason());
        assertTrue(e.getMessage().startsWith("Server error 500"), e.getMessage());
    }

    @Test
    void aServerThatAlreadySaysTryAgainIsNotToldTwice() throws Exception {
        String id = server.createCapsule();
        server.failNextWithError(
                "GET", ".*/exec/stream", 500, "internal_error", "Something went wrong. Try again shortly.", false);
        ExecutionFailure e = failure(engine.start(shell(id, "true"), new Log(), null));
        assertEquals(ExecutionFailure.Reason.SERVER_ERROR, e.reason());
        assertTrue(e.getMessage().contains("Something went wrong. Try again shortly."), e.getMessage());
        assertFalse(e.getMessage().contains(".."), e.getMessage());
        assertFalse(e.getMessage().contains("Try again later"), e.getMessage());
    }

    @Test
    void theHeaderNamesCommandAndCapsuleAndMasksTheKey() throws Exception {
        String id = server.createCapsule();
        Log log = new Log();
        await(engine.start(shell(id, "echo key is " + KEY), log, null));
        assertEquals("[wrenn] Running \"echo key is ****\" in capsule " + id + "\nkey is ****\n", log.text());
    }

    @Test
    void theApiKeyIsMaskedEvenAcrossChunks() throws Exception {
        server.setChunkBytes(7);
        try {
            // One run per pipe: two pipes have no defined order between them.
            Log stdout = new Log();
            await(engine.start(shell(server.createCapsule(), "echo key " + KEY + " end"), stdout, null));
            assertEquals("key **** end\n", output(stdout));

            Log stderr = new Log();
            await(engine.start(shell(server.createCapsule(), "echo pw " + KEY + " " + KEY + " >&2"), stderr, null));
            // The engine marks each stderr chunk; the masked text is what remains between the marks.
            assertEquals("pw **** ****\n", output(stderr).replace("<E>", ""));
        } finally {
            server.setChunkBytes(8192);
        }
    }

    @Test
    void stderrChunksGetTheMarkerAndStdoutNever() throws Exception {
        try (DurableExecution marking =
                new DurableExecution(client, KEY, Duration.ofSeconds(1), null, chunk -> "<E" + chunk.length() + ">")) {
            Log log = new Log();
            ExecOutcome out = await(marking.start(
                    new ExecutionSpec(
                            server.createCapsule(),
                            Command.shell("echo result; echo oops >&2"),
                            null,
                            null,
                            null,
                            true,
                            null),
                    log,
                    null));
            assertEquals("result\n", out.stdout());
            assertEquals("<E5>oops\n", output(log));

            Log plain = new Log();
            ExecOutcome logged = await(marking.start(shell(server.createCapsule(), "echo plain"), plain, null));
            assertEquals("plain\n", output(plain));
            assertNull(logged.stdout());
        }
    }

    @Test
    void programFormPassesArgumentsExactly() throws Exception {
        Log log = new Log();
        ExecOutcome out = await(engine.start(
                ExecutionSpec.of(
                        server.createCapsule(),
                        Command.program("printf", List.of("[%s]\\n", "two words", "$HOME", "'q'"))),
                log,
                null));
        assertEquals(0, out.exitCode());
        assertEquals("[two words]\n[$HOME]\n['q']\n", output(log));
    }

    @Test
    void theFirstLineReachesTheLogBeforeTheProcessEnds() throws Exception {
        Log log = new Log();
        String id = server.createCapsule();
        Path gate = server.workDir(id).resolve("gate");
        DurableRun run = engine.start(
                shell(id, "echo first; while [ ! -e " + gate + " ]; do sleep 0.02; done; echo second"), log, null);
        Await.until(() -> log.text().contains("first\n"), "the first line");
        assertFalse(run.outcome().isDone());
        Files.createFile(gate);
        assertEquals(0, await(run).exitCode());
        assertEquals("first\nsecond\n", output(log));
    }

    @Test
    void envValuesWithQuotesAndARelativeCwdArriveExactly() throws Exception {
        String id = server.createCapsule();
        Files.createDirectories(server.workDir(id).resolve("work dir"));
        Log log = new Log();
        ExecOutcome out = await(engine.start(
                new ExecutionSpec(
                        id,
                        Command.shell("echo \"$GREETING:$QUOTED\"; basename \"$PWD\"; exit 4"),
                        Map.of("GREETING", "hi", "QUOTED", "it's \"$x\"; rm -rf /"),
                        "work dir",
                        null,
                        false,
                        null),
                log,
                null));
        assertEquals(4, out.exitCode());
        assertEquals("hi:it's \"$x\"; rm -rf /\nwork dir\n", output(log));
    }

    @Test
    void aStepsOwnTmpdirReachesTheCommandWhileTheControlFilesStayInTheCapsules() throws Exception {
        String id = server.createCapsule();
        Path own = Files.createDirectories(server.workDir(id).resolve("own tmp"));
        server.dropNextStreamAfter(1);
        Log log = new Log();
        ExecOutcome out = await(engine.start(
                new ExecutionSpec(
                        id,
                        Command.shell("echo \"$TMPDIR\"; sleep 0.3; echo \"${WRENN_TMPDIR-unset}\"; exit 5"),
                        Map.of("TMPDIR", own.toString()),
                        null,
                        null,
                        false,
                        null),
                log,
                null));
        assertEquals(5, out.exitCode());
        assertTrue(log.text().contains("the output stream was cut"), log.text());
        assertEquals(own + "\nunset\n", output(log).replaceAll("\\[wrenn\\].*\n", ""), "followed from the files");
        try (var files = Files.list(own)) {
            assertEquals(List.of(), files.toList(), "the step's TMPDIR holds nothing of the plugin's");
        }
    }

    @Test
    void envsValuesNeverShowInTheCapsulesProcessList() throws Exception {
        String id = server.createCapsule();
        String secret = "supersecret-value-42";
        Log log = new Log();
        DurableRun run = engine.start(
                new ExecutionSpec(
                        id,
                        Command.shell("echo started; sleep 2; echo \"$TOKEN\""),
                        Map.of("TOKEN", secret),
                        null,
                        null,
                        false,
                        null),
                log,
                null);
        Await.until(() -> log.text().contains("started\n"), "the command to start");
        List<ProcessInfo> listed = client.processes().list(id);
        assertFalse(listed.isEmpty(), "the running command is not listed, so this test proves nothing");
        for (ProcessInfo p : listed) {
            assertFalse(p.cmd().contains(secret) || p.args().stream().anyMatch(a -> a.contains(secret)), p.toString());
        }
        assertEquals(0, await(run).exitCode());
        assertEquals("started\n" + secret + "\n", output(log));
    }

    @Test
    void aMissingCwdFailsTheCommandNamingTheDirectory() throws Exception {
        Log log = new Log();
        DurableRun run = engine.start(
                new ExecutionSpec(
                        server.createCapsule(), Command.shell("true"), null, "/no/such/dir", null, false, null),
                log,
                null);
        ExecutionFailure e = failure(run);
        assertTrue(e.getMessage().contains("/no/such/dir"), e.getMessage());
        assertFalse(e.reason() == ExecutionFailure.Reason.CAPSULE_NOT_FOUND, e.getMessage());
    }

    @Test
    void badEnvNameIsRefusedNamingTheField() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new ExecutionSpec("cl-x", Command.shell("true"), Map.of("1BAD", "x"), null, null, false, null));
        assertTrue(e.getMessage().startsWith("envs: '1BAD'"), e.getMessage());
    }

    @Test
    void notesAndTheEndOfTheRunStartOnANewLine() throws Exception {
        Log exited = new Log();
        ExecOutcome out = await(engine.start(shell(server.createCapsule(), "printf partial; exit 4"), exited, null));
        assertEquals(4, out.exitCode());
        assertEquals("partial\n", output(exited));

        Log timedOut = new Log();
        failure(engine.start(
                new ExecutionSpec(
                        server.createCapsule(),
                        Command.shell("printf partial; sleep 30"),
                        null,
                        null,
                        Duration.ofSeconds(3),
                        false,
                        null),
                timedOut,
                null));
        assertTrue(output(timedOut).startsWith("partial\n[wrenn] timed out after 3 s"), timedOut.text());
    }

    @Test
    void aRefusedStopSignalIsReportedAndSigkillStillFollows() throws Exception {
        String id = server.createCapsule();
        Log log = new Log();
        DurableRun run = startTermIgnorer(id, log);
        // The capsule does not take the stop's SIGTERM.
        server.failNext(
                "POST",
                ".*/" + id + "/exec",
                502,
                "application/json",
                "{\"error\":{\"code\":\"agent_error\",\"message\":\"host agent unreachable\"}}");
        assertEquals(DurableRun.StopResult.GONE, run.stop().get(30, TimeUnit.SECONDS));
        assertTrue(log.text().contains("could not send SIGTERM to process"), log.text());
        assertTrue(log.text().contains("host agent unreachable"), log.text());
        Await.until(() -> server.processes(id).isEmpty(), "SIGKILL did not follow the refused SIGTERM");
    }

    @Test
    void aProgramThatDoesNotExistFailsWithTheShellsWordsNotAsAServerOrCapsuleError() throws Exception {
        Log log = new Log();
        ExecOutcome out = await(engine.start(
                ExecutionSpec.of(server.createCapsule(), Command.program("no-such-program-x", List.of())), log, null));
        assertEquals(127, out.exitCode());
        assertEquals("The command exited with code 127.", out.failureMessage());
        assertTrue(
                Pattern.compile("<E>.*no-such-program-x.*not found")
                        .matcher(log.text())
                        .find(),
                log.text());
        assertFalse(log.text().contains("Server error"), log.text());
        assertFalse(log.text().contains("Capsule not found"), log.text());
    }

    @Test
    void aConnectionCutRightAfterAMessageLosesNoLineAndTheExitCodeStillArrives() throws Exception {
        // The recipe of the independent server: a TCP close with no close frame after the 3rd message.
        String id = server.createCapsule();
        server.dropNextStreamAfter(3);
        Log log = new Log();
        long t0 = System.nanoTime();
        ExecOutcome out =
                await(engine.start(shell(id, "for i in $(seq 1 10); do echo $i; sleep 0.2; done; exit 7"), log, null));
        assertEquals(7, out.exitCode());
        assertTrue(log.text().contains("the output stream was cut"), log.text());
        List<String> numbers =
                output(log).lines().filter(l -> l.matches("\\d+")).toList();
        assertEquals(List.of("1", "2", "3", "4", "5", "6", "7", "8", "9", "10"), numbers, log.text());
        assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "the cut was not noticed at once");
    }

    @Test
    void aSilentConnectionIsNoticedByTheKeepAliveAndTheExitCodeStillArrives() throws Exception {
        String id = server.createCapsule();
        server.silenceNextStreamAfter(1);
        Log log = new Log();
        try (WrennClient keepingAlive = WrennClient.builder(server.baseUrl(), KEY)
                        .keepAlive(Duration.ofSeconds(1), Duration.ofSeconds(2))
                        .build();
                DurableExecution slow =
                        new DurableExecution(keepingAlive, KEY, Duration.ofSeconds(1), null, StderrMarker.NONE)) {
            long t0 = System.nanoTime();
            ExecOutcome out = await(slow.start(shell(id, "echo one; sleep 4; echo two; exit 5"), log, null));
            long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
            assertEquals(5, out.exitCode());
            assertTrue(log.text().contains("not even an answer to a keep-alive ping"), log.text());
            assertTrue(output(log).startsWith("one\n"), log.text());
            assertTrue(output(log).endsWith("two\n"), log.text());
            assertTrue(seconds < 15, "took " + seconds + " s");
        }
    }

    @Test
    void aProcessThatEndedBeforeTheCutWasNoticedStillGivesItsRealExitCode() throws Exception {
        String id = server.createCapsule();
        server.dropNextStreamAfter(3);
        Log log = new Log();
        ExecOutcome out =
                await(engine.start(shell(id, "echo 1; sleep 0.1; echo 2; sleep 0.1; echo 3; exit 7"), log, null));
        assertEquals(7, out.exitCode());
        assertEquals("1\n2\n3\n", output(log).replaceAll("\\[wrenn\\].*\n", ""));
        assertFalse(log.text().contains("Capsule not found"), log.text());

        // Cut after the first message of a command that has ended by then: the status file still
        // gives its code, never a success it did not have.
        server.dropNextStreamAfter(1);
        ExecOutcome quick = await(engine.start(shell(id, "echo one; exit 3"), new Log(), null));
        assertEquals(3, quick.exitCode());
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
