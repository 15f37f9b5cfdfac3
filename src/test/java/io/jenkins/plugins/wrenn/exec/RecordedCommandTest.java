package io.jenkins.plugins.wrenn.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * A freestyle build's record of its command is forgotten only once the command is known to be gone,
 * so that the next start of Jenkins still finds one a shutdown left running.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class RecordedCommandTest {

    static final String KEY = "wrn_recorded_key_5d1f0";
    static WrennTestServer server;

    /** What a freestyle build's records saw, in order. */
    static final class Records implements RecordedCommand.Records {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void running(RunState state) {
            events.add("running " + state.pid());
        }

        @Override
        public void gone(RunState state) {
            events.add("gone " + state.pid());
        }
    }

    @BeforeAll
    static void start() throws Exception {
        server = WrennTestServer.start(KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    /** An engine with a client of its own, which it closes. */
    static DurableExecution newEngine() {
        return new DurableExecution(
                WrennClient.builder(server.baseUrl(), KEY).build(),
                KEY,
                Duration.ofSeconds(1),
                null,
                StderrMarker.NONE);
    }

    /** Runs {@link RecordedCommand#await} on a thread of its own, interrupted once the command runs. */
    static void awaitInterrupted(RecordedCommand recorded, DurableRun run, String capsule) throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread waiter = Thread.ofPlatform().start(() -> {
            try {
                recorded.await(run);
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        Await.until(() -> !server.processes(capsule).isEmpty(), "the command to start");
        waiter.interrupt();
        waiter.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(waiter.isAlive(), "await did not return after the interrupt");
        assertTrue(thrown.get() instanceof InterruptedException, String.valueOf(thrown.get()));
    }

    @Test
    void aCommandThatEndsIsRecordedThenForgotten() throws Exception {
        String capsule = server.createCapsule();
        Records records = new Records();
        RecordedCommand recorded = new RecordedCommand(records);
        try (DurableExecution engine = newEngine()) {
            DurableRun run = engine.start(
                    ExecutionSpec.of(capsule, Command.shell("exit 3")),
                    OutputStream.nullOutputStream(),
                    recorded.onState());
            assertEquals(3, recorded.await(run).exitCode());
        }
        assertEquals(2, records.events.size(), records.events.toString());
        assertTrue(records.events.get(0).startsWith("running "), records.events.toString());
        assertEquals(records.events.get(0).replace("running", "gone"), records.events.get(1));
    }

    @Test
    void anAbortWhoseStopIsConfirmedForgetsTheRecord() throws Exception {
        String capsule = server.createCapsule();
        Records records = new Records();
        RecordedCommand recorded = new RecordedCommand(records);
        try (DurableExecution engine = newEngine()) {
            DurableRun run = engine.start(
                    ExecutionSpec.of(capsule, Command.shell("sleep 120")),
                    OutputStream.nullOutputStream(),
                    recorded.onState());
            awaitInterrupted(recorded, run, capsule);
        }
        Await.until(() -> server.processes(capsule).isEmpty(), "the command to be stopped");
        assertEquals(2, records.events.size(), records.events.toString());
        assertTrue(records.events.get(1).startsWith("gone "), records.events.toString());
    }

    @Test
    void anAbortWhileJenkinsShutsDownKeepsTheRecordForTheNextStart() throws Exception {
        String capsule = server.createCapsule();
        Records records = new Records();
        RecordedCommand recorded = new RecordedCommand(records);
        RunState state;
        try (DurableExecution engine = newEngine()) {
            DurableRun run = engine.start(
                    ExecutionSpec.of(capsule, Command.shell("sleep 120")),
                    OutputStream.nullOutputStream(),
                    recorded.onState());
            Await.until(() -> records.events.size() == 1, "the process to be recorded");
            state = run.state();
            // What the shutdown does before it aborts the build: the engines let go of their runs.
            engine.detach();
            awaitInterrupted(recorded, run, capsule);
        }
        assertEquals(1, records.events.size(), records.events.toString());
        assertFalse(server.processes(capsule).isEmpty(), "the command was stopped after all");
        // What the next start of Jenkins does with the record it kept.
        try (DurableExecution next = newEngine()) {
            assertEquals(DurableRun.StopResult.GONE, next.stopLeftOver(state).get(60, TimeUnit.SECONDS));
        }
        Await.until(() -> server.processes(capsule).isEmpty(), "the left-over command to be stopped");
    }
}
