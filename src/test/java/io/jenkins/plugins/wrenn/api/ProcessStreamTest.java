package io.jenkins.plugins.wrenn.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.LocalProcess;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
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
class ProcessStreamTest {

    static final String KEY = "wrn_test_stream";
    static WrennTestServer server;
    static WrennClient client;

    /** Which generation of the real server the test server speaks in this run. */
    @Parameter
    ServerGeneration generation;

    @BeforeParameterizedClassInvocation
    static void start(ServerGeneration serverGeneration) throws Exception {
        server = WrennTestServer.start(KEY, serverGeneration);
        server.setAuthWait(Duration.ofMillis(300));
        client = WrennClient.builder(server.baseUrl(), KEY)
                .keepAlive(Duration.ofMillis(250), Duration.ofSeconds(2))
                .build();
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        client.close();
        server.close();
    }

    static WrennApiException failureOf(ProcessStream stream) throws Exception {
        ExecutionException e =
                assertThrows(ExecutionException.class, () -> stream.exitCode().get(20, TimeUnit.SECONDS));
        return assertInstanceOf(WrennApiException.class, e.getCause());
    }

    @Test
    void streamsStartOutputAndExitInOrder() throws Exception {
        String id = server.createCapsule();
        CollectingListener l = new CollectingListener();
        try (ProcessStream s =
                client.commands().stream(id, "/bin/sh", List.of("-c", "echo one; echo two >&2; exit 7"), l)) {
            assertEquals(7, s.exitCode().get(20, TimeUnit.SECONDS));
            assertTrue(s.pid() > 0);
            assertEquals(s.pid(), l.pid);
        }
        assertEquals("start", l.events.getFirst());
        assertEquals("one\n", l.stdout.toString());
        assertEquals("two\n", l.stderr.toString());
        String start = server.requests().stream()
                .filter(r -> r.method().equals("WS"))
                .reduce((a, b) -> b)
                .orElseThrow()
                .path();
        assertTrue(start.endsWith("/" + id + "/exec/stream"), start);
    }

    @Test
    void theServersCutRightAfterTheExitLosesNothingAndAClientCloseCutsARunningStream() throws Exception {
        String id = server.createCapsule();
        int before = server.streamStats().size();
        for (int i = 0; i < 20; i++) {
            // The real server closes the connection right after the exit message, without a close frame.
            try (ProcessStream s = client.commands().stream(id, "true", List.of(), new CollectingListener())) {
                assertEquals(0, s.exitCode().get(20, TimeUnit.SECONDS));
            }
        }

        CollectingListener l = new CollectingListener();
        ProcessStream running = client.commands().stream(id, "/bin/sh", List.of("-c", "echo up; sleep 30"), l);
        assertTrue(l.firstOutput.await(5, TimeUnit.SECONDS));
        running.close();
        Await.until(() -> server.streamStats().size() > before + 20, "the server to see the cut");
        assertEquals(1006, server.streamStats().get(before + 20).closeCode(), "a cut reads as a lost connection");
        client.processes().kill(id, Long.toString(running.pid()), Signal.SIGKILL);
    }

    @Test
    void outputArrivesWhileTheProcessStillRuns() throws Exception {
        String id = server.createCapsule();
        CollectingListener l = new CollectingListener();
        try (ProcessStream s =
                client.commands().stream(id, "/bin/sh", List.of("-c", "echo first; sleep 3; echo second"), l)) {
            assertTrue(l.firstOutput.await(2, TimeUnit.SECONDS), "the first line did not arrive within 2 s");
            assertEquals("first\n", l.stdout.toString());
            assertFalse(s.exitCode().isDone());
            assertEquals(0, s.exitCode().get(20, TimeUnit.SECONDS));
        }
        assertEquals("first\nsecond\n", l.stdout.toString());
    }

    @Test
    void aOneMillisecondCommandLosesNothing() throws Exception {
        String id = server.createCapsule();
        for (int i = 0; i < 20; i++) {
            CollectingListener l = new CollectingListener();
            try (ProcessStream s = client.commands().stream(id, "echo", List.of("run " + i), l)) {
                assertEquals(0, s.exitCode().get(20, TimeUnit.SECONDS));
            }
            assertEquals("run " + i + "\n", l.stdout.toString());
        }
    }

    @Test
    void streamAsyncReturnsBeforeTheUpgradeAndThenRunsTheCommand() throws Exception {
        String id = server.createCapsule();
        server.delayNext("GET", ".*/" + id + "/exec/stream", Duration.ofMillis(1500));
        CollectingListener l = new CollectingListener();
        long t0 = System.nanoTime();
        CompletableFuture<ProcessStream> opening = client.commands().streamAsync(id, "echo", List.of("late"), l);
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "streamAsync waited for the upgrade");
        assertFalse(opening.isDone());
        try (ProcessStream s = opening.get(20, TimeUnit.SECONDS)) {
            assertEquals(0, s.exitCode().get(20, TimeUnit.SECONDS));
        }
        assertEquals("late\n", l.stdout.toString());
    }

    @Test
    void aStreamGivenUpBeforeItsUpgradeRunsNothing() throws Exception {
        String id = server.createCapsule();
        server.delayNext("GET", ".*/" + id + "/exec/stream", Duration.ofMillis(1000));
        CompletableFuture<ProcessStream> opening =
                client.commands().streamAsync(id, "sleep", List.of("30"), new CollectingListener());
        assertTrue(opening.cancel(true));
        // The server answers the upgrade, if it got it, after its delay; a start sent then would run the command.
        Thread.sleep(2000);
        assertTrue(server.processes(id).isEmpty(), "the command ran although its stream was given up");
    }

    @Test
    void largeOutputArrivesIntactInBoundedChunks() throws Exception {
        String id = server.createCapsule();
        StringBuilder seen = new StringBuilder();
        int[] largest = {0};
        StreamListener l = new StreamListener() {
            @Override
            public void onStdout(String data) {
                seen.append(data);
                largest[0] = Math.max(largest[0], data.length());
            }

            @Override
            public void onStderr(String data) {}
        };
        try (ProcessStream s = client.commands().stream(id, "/bin/sh", List.of("-c", "seq 1 200000"), l)) {
            assertEquals(0, s.exitCode().get(60, TimeUnit.SECONDS));
        }
        StringBuilder expected = new StringBuilder();
        for (int i = 1; i <= 200000; i++) {
            expected.append(i).append('\n');
        }
        assertEquals(expected.toString(), seen.toString());
        assertTrue(largest[0] <= 8192, "chunk of " + largest[0]);
    }

    @Test
    void aStuckListenerStopsItsStreamFromReadingAndLosesNoOutputOnceItMovesAgain() throws Exception {
        String id = server.createCapsule();
        CountDownLatch release = new CountDownLatch(1);
        long[] lines = {0};
        long[] last = {0};
        boolean[] inOrder = {true};
        StringBuilder partialLine = new StringBuilder();
        StreamListener stuck = new StreamListener() {
            @Override
            public void onStdout(String data) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                partialLine.append(data);
                int end;
                while ((end = partialLine.indexOf("\n")) >= 0) {
                    long n = Long.parseLong(partialLine.substring(0, end));
                    inOrder[0] &= n == last[0] + 1;
                    last[0] = n;
                    lines[0]++;
                    partialLine.delete(0, end + 1);
                }
            }

            @Override
            public void onStderr(String data) {}
        };
        int total = 5_000_000;
        try (WrennClient small = WrennClient.builder(server.baseUrl(), KEY)
                        .listenerBacklog(64 * 1024, 64 * 1024)
                        .build();
                ProcessStream s = small.commands().stream(id, "seq", List.of("1", Integer.toString(total)), stuck)) {
            // 38 MB of output: far more than a connection's buffers hold, so the command can end only
            // if the client reads on although its listener takes nothing.
            Thread.sleep(3000);
            List<LocalProcess> running = server.processes(id);
            assertEquals(1, running.size());
            assertTrue(running.get(0).isAlive(), "the client read all of the output for a listener that took none");
            release.countDown();
            try {
                assertEquals(0, s.exitCode().get(120, TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                // The one loss the JDK's client allows after a stop (see ListenerBacklog): the
                // message that ended the stream, never output before it.
                WrennApiException lost = assertInstanceOf(WrennApiException.class, e.getCause());
                assertEquals(WrennApiException.LAST_MESSAGE_LOST, lost.errorCode(), lost.getMessage());
            }
        }
        assertTrue(inOrder[0], "lines out of order");
        assertEquals(total, lines[0]);
    }

    @Test
    void aClientThatReadsBehindAServerThatHasClosedLosesNothing() throws Exception {
        // The server writes all of its output and its exit, and closes the connection, long before
        // this slow reader has taken it. A keep-alive ping sent meanwhile (every 250 ms here)
        // would reach a closed socket, whose reset makes the client drop what it has not read
        // yet, the exit message with it: no ping goes out while output waits for the listener.
        String id = server.createCapsule();
        StringBuilder seen = new StringBuilder();
        StreamListener slow = new StreamListener() {
            @Override
            public void onStdout(String data) {
                seen.append(data);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void onStderr(String data) {}
        };
        int lines = 20000;
        try (ProcessStream s = client.commands().stream(id, "seq", List.of("1", Integer.toString(lines)), slow)) {
            assertEquals(0, s.exitCode().get(120, TimeUnit.SECONDS));
        }
        StringBuilder expected = new StringBuilder();
        for (int i = 1; i <= lines; i++) {
            expected.append(i).append('\n');
        }
        assertTrue(expected.length() < ListenerBacklog.DEFAULT_STREAM_LIMIT, "the reader never pauses the stream here");
        assertEquals(expected.toString(), seen.toString());
    }

    @Test
    void aListenerThatBlocksHoldsUpNeitherAnotherStreamNorItsOwnKeepAlive() throws Exception {
        String id = server.createCapsule();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        StringBuilder slowSeen = new StringBuilder();
        StreamListener stuck = new StreamListener() {
            @Override
            public void onStdout(String data) {
                blocked.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                slowSeen.append(data);
            }

            @Override
            public void onStderr(String data) {}
        };
        try (ProcessStream slow = client.commands().stream(
                id, "/bin/sh", List.of("-c", "echo one; sleep 0.2; echo two; exit 3"), stuck)) {
            assertTrue(blocked.await(20, TimeUnit.SECONDS), "the first line did not arrive");
            // Longer than the keep-alive's 2 s pong timeout: a listener at work is not a silent server.
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (System.nanoTime() < until) {
                CollectingListener other = new CollectingListener();
                try (ProcessStream quick = client.commands().stream(id, "echo", List.of("meanwhile"), other)) {
                    assertEquals(0, quick.exitCode().get(20, TimeUnit.SECONDS), "another stream was held up");
                }
                assertEquals("meanwhile\n", other.stdout.toString());
            }
            assertFalse(slow.exitCode().isDone(), "the stream of the busy listener ended: " + slow.exitCode());
            release.countDown();
            assertEquals(3, slow.exitCode().get(20, TimeUnit.SECONDS));
        }
        assertEquals("one\ntwo\n", slowSeen.toString());
    }

    /** A refusal after the upgrade: thrown when it beat the start message out, else the stream's end. */
    static WrennApiException refusalOf(String capsuleId) throws Exception {
        ProcessStream stream;
        try {
            stream = client.commands().stream(capsuleId, "true", List.of(), new CollectingListener());
        } catch (WrennApiException e) {
            return e;
        }
        return failureOf(stream);
    }

    @Test
    void capsuleErrorsAfterTheUpgradeMapToTheirHttpKinds() throws Exception {
        WrennApiException missing = refusalOf("cl-0000000000000000000000000");
        assertEquals(WrennApiException.Kind.NOT_FOUND, missing.kind());
        // The stream's own words, or, when the JDK lost that first message, the REST API's answer to
        // the client asking why (the newest server words it "Sandbox not found.").
        assertTrue(
                missing.serverMessage().matches("(?i)sandbox not found\\.?"),
                "not the server's words: " + missing.serverMessage());

        String id = server.createCapsule();
        server.setStatus(id, "paused");
        WrennApiException paused = refusalOf(id);
        assertEquals(WrennApiException.Kind.NOT_RUNNING, paused.kind());
        assertEquals("paused", paused.capsuleStatus());

        WrennApiException malformed = refusalOf("cap_abc123");
        assertEquals(WrennApiException.Kind.INVALID_REQUEST, malformed.kind());
    }

    @Test
    void wrongKeyOnTheStreamIsAuthenticationFailedAtOnce() throws Exception {
        String id = server.createCapsule();
        String secret = "wrn_stream_wrong_key";
        try (WrennClient wrong = WrennClient.builder(server.baseUrl(), secret).build()) {
            long t0 = System.nanoTime();
            // The first generation takes the start message for a failed browser-style auth message;
            // the current one refuses the upgrade.
            WrennApiException e = generation == ServerGeneration.V0_1_5
                    ? failureOf(wrong.commands().stream(id, "true", List.of(), new CollectingListener()))
                    : assertThrows(
                            WrennApiException.class,
                            () -> wrong.commands().stream(id, "true", List.of(), new CollectingListener()));
            assertEquals(WrennApiException.Kind.AUTHENTICATION_FAILED, e.kind());
            assertTrue(System.nanoTime() - t0 < 3_000_000_000L, "waited for the server's 5 s auth timeout");
            assertFalse(e.getMessage().contains(secret));
        }
        assertTrue(server.processes(id).isEmpty(), "a process ran despite the wrong key");
    }

    @Test
    void closingTheStreamDoesNotKillTheProcess() throws Exception {
        String id = server.createCapsule();
        CollectingListener l = new CollectingListener();
        ProcessStream s = client.commands().stream(id, "/bin/sh", List.of("-c", "echo up; sleep 30"), l);
        assertTrue(l.firstOutput.await(5, TimeUnit.SECONDS));
        s.close();
        assertEquals(WrennApiException.Kind.STREAM_CLOSED, failureOf(s).kind());
        Thread.sleep(200);
        List<LocalProcess> running = server.processes(id);
        assertEquals(1, running.size());
        assertEquals(s.pid(), running.getFirst().pid());
        assertTrue(running.getFirst().isAlive());
        client.processes().kill(id, Long.toString(s.pid()), Signal.SIGKILL);
        Await.until(() -> server.processes(id).isEmpty(), "the process to end");
    }

    @Test
    void stopEndsTheStreamOnly() throws Exception {
        String id = server.createCapsule();
        CollectingListener l = new CollectingListener();
        ProcessStream s = client.commands().stream(id, "/bin/sh", List.of("-c", "echo up; sleep 30"), l);
        assertTrue(l.firstOutput.await(5, TimeUnit.SECONDS));
        s.stop();
        assertEquals(WrennApiException.Kind.STREAM_CLOSED, failureOf(s).kind());
        assertTrue(server.processes(id).getFirst().isAlive());
        client.processes().kill(id, Long.toString(s.pid()), Signal.SIGKILL);
        Await.until(() -> server.processes(id).isEmpty(), "the process to end");
    }

    @Test
    void droppedConnectionIsConnectionLostNotSuccess() throws Exception {
        String id = server.createCapsule();
        server.dropNextStreamAfter(1);
        CollectingListener l = new CollectingListener();
        ProcessStream s =
                client.commands().stream(id, "/bin/sh", List.of("-c", "echo a; sleep 1; echo b; sleep 30"), l);
        assertEquals(WrennApiException.Kind.CONNECTION_LOST, failureOf(s).kind());
        assertTrue(server.processes(id).getFirst().isAlive(), "the process must outlive its stream");
        client.processes().kill(id, Long.toString(s.pid()), Signal.SIGKILL);
        Await.until(() -> server.processes(id).isEmpty(), "the process to end");
    }

    @Test
    void attachSeesLiveOutputAndTheExitCode() throws Exception {
        String id = server.createCapsule();
        BackgroundProcess bg = client.commands()
                .startBackground(
                        id,
                        ExecRequest.background(
                                "/bin/sh",
                                List.of(
                                        "-c",
                                        "i=0; while [ $i -lt 40 ]; do echo tick $i; i=$((i+1)); sleep 0.05; done; exit 4"),
                                "ticker",
                                null,
                                null));
        CollectingListener l = new CollectingListener();
        try (ProcessStream s = client.processes().attach(id, "ticker", l)) {
            assertEquals(4, s.exitCode().get(20, TimeUnit.SECONDS));
        }
        assertTrue(l.stdout.toString().contains("tick 39\n"), l.stdout.toString());
        assertTrue(bg.pid() > 0);
    }

    @Test
    void attachToAnExitedProcessIsNotFound() throws Exception {
        String id = server.createCapsule();
        BackgroundProcess bg =
                client.commands().startBackground(id, ExecRequest.background("true", List.of(), null, null, null));
        Await.until(() -> server.processes(id).isEmpty(), "the process to end");
        WrennApiException e =
                failureOf(client.processes().attach(id, Long.toString(bg.pid()), new CollectingListener()));
        assertEquals(WrennApiException.Kind.NOT_FOUND, e.kind());
        assertEquals(WrennApiException.PROCESS_NOT_FOUND, e.errorCode());
    }
}
