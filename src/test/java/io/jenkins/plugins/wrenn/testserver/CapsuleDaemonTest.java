package io.jenkins.plugins.wrenn.testserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
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

/**
 * Checks that the test server's processes start, take signals, end and leave the process list as
 * the real daemon's do in each generation (see {@code docs/test-server.md}), through the HTTP and
 * WebSocket routes alone.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
@ParameterizedClass(name = "{0} server")
@EnumSource(ServerGeneration.class)
class CapsuleDaemonTest {

    static final String KEY = "wrn_daemon_model_5e1";
    /** A gate file the test creates, in the capsule's HOME, when a command may go on. */
    static final String GATE = "gate";
    /** Shell that waits for the gate, so that nothing but the test decides when a command goes on. */
    static final String AWAIT_GATE = "while [ ! -e " + GATE + " ]; do sleep 0.05; done";

    static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static WrennTestServer server;

    @Parameter
    ServerGeneration generation;

    @BeforeParameterizedClassInvocation
    static void start(ServerGeneration serverGeneration) throws Exception {
        server = WrennTestServer.start(KEY, serverGeneration);
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void aProcessStartsAsTheDaemonStartsIt() throws Exception {
        String id = server.createCapsule();
        WrennTestServerTest.RawWs ws =
                WrennTestServerTest.RawWs.open(server, "/v1/capsules/" + id + "/exec/stream", KEY);
        ws.start("sleep", "30");
        long pid = ws.next().path("pid").asLong();
        // What the process was given, read from outside while it runs.
        Path proc = Path.of("/proc/" + pid);
        Await.until(
                () -> Files.readString(proc.resolve("comm")).strip().equals("sleep"),
                "the pid to be the command's own");
        // Right after the exec the dynamic loader opens and closes the command's libraries (as
        // descriptor 3): only a descriptor that stays is one the daemon passed on.
        Await.until(() -> openDescriptors(proc).equals(List.of("0", "1", "2")), "descriptors 0 to 2 only");
        assertEquals(Path.of("/dev/null"), Files.readSymbolicLink(proc.resolve("fd/0")), "standard input");
        assertEquals(server.workDir(id).toRealPath(), Files.readSymbolicLink(proc.resolve("cwd")), "HOME as cwd");
        String ignored = Files.readAllLines(proc.resolve("status")).stream()
                .filter(l -> l.startsWith("SigIgn:"))
                .findFirst()
                .orElseThrow();
        // Signals 32 and 33 are the C library's own, kept from every program.
        assertEquals(0, Long.parseLong(ignored.substring(7).strip(), 16) & ~0x180000000L, "no signal ignored");
        Set<String> names = new TreeSet<>();
        for (String variable : Files.readString(proc.resolve("environ")).split("\0")) {
            names.add(variable.substring(0, variable.indexOf('=')));
        }
        // PWD is the shell's own, which execs the command.
        assertEquals(
                new TreeSet<>(Set.of(
                        "HOME", "LOGNAME", "PATH", "PWD", "TMPDIR", "USER", "WRENN_SANDBOX_ID", "WRENN_TEMPLATE_ID")),
                names,
                "a cleared environment with the daemon's variables only");
        assertEquals(
                204, send("DELETE", "/v1/capsules/" + id + "/processes/" + pid).statusCode());
        assertEquals(-1, ws.next().path("exit_code").asInt(0));
    }

    @Test
    void theEnvironmentNamesTheCapsuleAndTheRequestsVariablesComeLast() throws Exception {
        String id = server.createCapsule();
        HttpResponse<String> r = post(
                "/v1/capsules/" + id + "/exec",
                "{\"cmd\":\"/bin/sh\",\"args\":[\"-c\",\"echo $WRENN_SANDBOX_ID $HOME > \\\"$TMPDIR/seen\\\"\"],"
                        + "\"background\":true,\"envs\":{\"HOME\":\"/elsewhere\"}}");
        assertEquals(202, r.statusCode(), r.body());
        Path seen = server.tmpDir(id).resolve("seen");
        Await.until(() -> Files.exists(seen) && Files.size(seen) > 0, "the process to write");
        assertEquals(id + " /elsewhere\n", Files.readString(seen));
    }

    @Test
    void exitCodesAreTheProcessesOwnAndMinusOneOnlyForADeathBySignal() throws Exception {
        String id = server.createCapsule();
        for (int code : new int[] {0, 1, 2, 127, 128, 129, 130, 137, 143, 145, 147, 150, 192, 200, 255}) {
            assertEquals(code, foregroundExit(id, "exit " + code), "exit " + code);
        }
        assertEquals(-1, foregroundExit(id, "kill -TERM $$"));
        assertEquals(-1, foregroundExit(id, "kill -KILL $$"));
        assertEquals(-1, foregroundExit(id, "kill -INT $$"), "SIGINT is not ignored, so it kills");
    }

    @Test
    void aStoppedProcessNeverEnds() throws Exception {
        String id = server.createCapsule();
        WrennTestServerTest.Ws ws = WrennTestServerTest.Ws.open(server, "/v1/capsules/" + id + "/exec/stream", KEY);
        ws.start("/bin/sh", "-c", "echo up; kill -STOP $$; echo never");
        long pid = ws.next().path("pid").asLong();
        assertEquals("up\n", ws.next().path("data").asText());
        assertEquals(null, ws.messages.poll(1500, TimeUnit.MILLISECONDS), "a stopped process does not end");
        assertTrue(listed(id, pid), "and stays listed");
        assertEquals(
                204,
                send("DELETE", "/v1/capsules/" + id + "/processes/" + pid + "?signal=SIGKILL")
                        .statusCode());
        assertEquals(-1, ws.next().path("exit_code").asInt(0));
    }

    @Test
    void aSignalReachesThePidOnTheOlderServerAndTheProcessGroupOnTheNewer() throws Exception {
        String id = server.createCapsule();
        Path child = server.workDir(id).resolve("child");
        HttpResponse<String> r = post(
                "/v1/capsules/" + id + "/exec",
                "{\"cmd\":\"/bin/sh\",\"args\":[\"-c\",\"sleep 30 & echo $! >child.part; mv child.part child; wait\"],"
                        + "\"background\":true}");
        long pid = json(r.body()).path("pid").asLong();
        Await.until(() -> Files.exists(child), "the child to start");
        long childPid = Long.parseLong(Files.readString(child).strip());
        assertEquals(
                204,
                send("DELETE", "/v1/capsules/" + id + "/processes/" + pid + "?signal=SIGTERM")
                        .statusCode());
        Await.until(() -> !alive(pid), "the process to end");
        if (generation == ServerGeneration.V0_1_5) {
            Thread.sleep(300);
            assertTrue(alive(childPid), "v0.1.5 signals the one pid: its child lives on");
            ProcessHandle.of(childPid).ifPresent(ProcessHandle::destroyForcibly);
        } else {
            Await.until(() -> !alive(childPid), "the newer daemon signals the whole group");
        }
    }

    @Test
    void theOlderServerForgetsAProcessWhenReapedTheNewerWhenItsPipesClose() throws Exception {
        String id = server.createCapsule();
        // The shell ends at once; its child holds the output pipes until the test opens the gate.
        HttpResponse<String> r = post(
                "/v1/capsules/" + id + "/exec",
                "{\"cmd\":\"/bin/sh\",\"args\":[\"-c\",\"(" + AWAIT_GATE + "; echo late) & exit 0\"],"
                        + "\"background\":true}");
        long pid = json(r.body()).path("pid").asLong();
        if (generation == ServerGeneration.CURRENT) {
            LocalProcess shell = listedProcess(id, pid);
            Await.until(() -> !shell.isAlive(), "the daemon to reap the shell");
            assertTrue(listed(id, pid), "listed while its child holds the pipes");
        } else {
            Await.until(() -> !listed(id, pid), "forgotten once reaped, while its child still holds the pipes");
        }
        Files.createFile(server.workDir(id).resolve(GATE));
        Await.until(() -> !listed(id, pid), "forgotten once the pipes close");
    }

    @Test
    void theExitMessageComesAfterAllOutputAlsoFromChildren() throws Exception {
        String id = server.createCapsule();
        WrennTestServerTest.RawWs ws =
                WrennTestServerTest.RawWs.open(server, "/v1/capsules/" + id + "/exec/stream", KEY);
        ws.start("/bin/sh", "-c", "(" + AWAIT_GATE + "; echo late) & echo early; exit 3");
        ws.next();
        assertEquals("early\n", ws.next().path("data").asText());
        // Only now may the child write, so that its line cannot arrive in one piece with the first.
        Files.createFile(server.workDir(id).resolve(GATE));
        assertEquals("late\n", ws.next().path("data").asText());
        JsonNode exit = ws.next();
        assertEquals("exit", exit.path("type").asText());
        assertEquals(3, exit.path("exit_code").asInt());
    }

    @Test
    void aForegroundExecThatTimesOutKeepsRunningAndIsListed() throws Exception {
        String id = server.createCapsule();
        HttpResponse<String> r = post(
                "/v1/capsules/" + id + "/exec",
                "{\"cmd\":\"/bin/sh\",\"args\":[\"-c\",\"" + AWAIT_GATE
                        + "; echo done >finished\"],\"timeout_sec\":1}");
        assertEquals(502, r.statusCode(), r.body());
        JsonNode list =
                json(send("GET", "/v1/capsules/" + id + "/processes").body()).path("processes");
        assertEquals(1, list.size(), list.toString());
        assertEquals("/bin/sh", list.get(0).path("cmd").asText());
        Files.createFile(server.workDir(id).resolve(GATE));
        Await.until(() -> Files.exists(server.workDir(id).resolve("finished")), "the timed-out command to finish");
    }

    @Test
    void onlyTheNewerServerGivesAForegroundExecItsEnvsAndCwd() throws Exception {
        String id = server.createCapsule();
        Files.createDirectories(server.workDir(id).resolve("sub"));
        HttpResponse<String> r = post(
                "/v1/capsules/" + id + "/exec",
                "{\"cmd\":\"/bin/sh\",\"args\":[\"-c\",\"echo \\\"$X:$PWD\\\"\"],\"envs\":{\"X\":\"1\"},\"cwd\":\"sub\"}");
        String home = server.workDir(id).toRealPath().toString();
        assertEquals(
                generation == ServerGeneration.CURRENT ? "1:" + home + "/sub\n" : ":" + home + "\n",
                json(r.body()).path("stdout").asText());
    }

    @Test
    void aMissingWorkingDirectoryIsRefusedByTheDaemon() throws Exception {
        String id = server.createCapsule();
        HttpResponse<String> r =
                post("/v1/capsules/" + id + "/exec", "{\"cmd\":\"true\",\"background\":true,\"cwd\":\"/no/such/dir\"}");
        assertEquals(502, r.statusCode(), r.body());
        JsonNode error = json(r.body()).path("error");
        assertEquals("agent_error", error.path("code").asText());
        assertTrue(error.path("message").asText().endsWith("cwd '/no/such/dir' does not exist"), r.body());
    }

    @Test
    void signallingAProcessWhoseGroupIsEmptyIsAnAgentErrorOnTheNewerServer() throws Exception {
        String id = server.createCapsule();
        // The shell ends at once; its child moves to a session of its own, says so, and keeps the
        // output pipes open.
        HttpResponse<String> r = post(
                "/v1/capsules/" + id + "/exec",
                "{\"cmd\":\"/bin/sh\",\"args\":[\"-c\",\"setsid sh -c ': >left; exec sleep 60' & exit 0\"],"
                        + "\"background\":true}");
        long pid = json(r.body()).path("pid").asLong();
        Path left = server.workDir(id).resolve("left");
        Await.until(() -> Files.exists(left), "the child to leave the shell's process group");
        if (generation == ServerGeneration.CURRENT) {
            // Until the daemon reaps it, the shell is a zombie in its group, which a signal still reaches.
            LocalProcess shell = listedProcess(id, pid);
            Await.until(() -> !shell.isAlive(), "the daemon to reap the shell");
            HttpResponse<String> kill = send("DELETE", "/v1/capsules/" + id + "/processes/" + pid + "?signal=SIGTERM");
            assertEquals(502, kill.statusCode(), kill.body());
            assertTrue(kill.body().contains("ESRCH"), kill.body());
        } else {
            Await.until(() -> !listed(id, pid), "v0.1.5 to forget the shell once it is reaped");
            HttpResponse<String> kill = send("DELETE", "/v1/capsules/" + id + "/processes/" + pid + "?signal=SIGTERM");
            assertEquals(404, kill.statusCode(), "v0.1.5 forgot it when it was reaped: " + kill.body());
        }
        // The capsule's end takes the child with it.
        send("DELETE", "/v1/capsules/" + id);
    }

    @Test
    void destroyingTheCapsuleEndsEveryProcessItStartedEvenThoseThatLeftTheirGroup() throws Exception {
        String id = server.createCapsule();
        Path escaped = server.workDir(id).resolve("escaped");
        post(
                "/v1/capsules/" + id + "/exec",
                "{\"cmd\":\"/bin/sh\",\"args\":[\"-c\",\"setsid sleep 60 >/dev/null 2>&1 & echo $! >e.part;"
                        + " mv e.part escaped\"],\"background\":true}");
        Await.until(() -> Files.exists(escaped), "the escaped process to start");
        long pid = Long.parseLong(Files.readString(escaped).strip());
        assertTrue(alive(pid));
        send("DELETE", "/v1/capsules/" + id);
        Await.until(() -> !alive(pid), "the capsule's end to end it");
    }

    @Test
    void aDelayedAnswerComesAfterTheProcessStarted() throws Exception {
        String id = server.createCapsule();
        server.delayNextAnswer("POST", ".*/" + id + "/exec", Duration.ofSeconds(2));
        CompletableFuture<HttpResponse<String>> answer = HTTP.sendAsync(
                request(
                        "POST",
                        "/v1/capsules/" + id + "/exec",
                        "{\"cmd\":\"sleep\",\"args\":[\"5\"],\"background\":true}"),
                HttpResponse.BodyHandlers.ofString());
        Await.until(() -> !server.processes(id).isEmpty(), "the process to start");
        assertFalse(answer.isDone(), "the answer is still on its way");
        assertEquals(202, answer.get(10, TimeUnit.SECONDS).statusCode());
    }

    @Test
    void aLostAnswerLeavesTheProcessRunning() throws Exception {
        String id = server.createCapsule();
        server.loseNextAnswer("POST", ".*/" + id + "/exec");
        assertThrows(
                IOException.class,
                () -> post("/v1/capsules/" + id + "/exec", "{\"cmd\":\"sleep\",\"args\":[\"5\"],\"background\":true}"));
        assertEquals(1, server.processes(id).size(), "the start took effect");
        assertNotNull(server.processes(id).getFirst().pid());
    }

    // ---- helpers

    private static int foregroundExit(String id, String script) throws Exception {
        HttpResponse<String> r = post(
                "/v1/capsules/" + id + "/exec",
                WrennTestServer.JSON
                        .createObjectNode()
                        .put("cmd", "/bin/sh")
                        .set("args", WrennTestServer.JSON.valueToTree(List.of("-c", script)))
                        .toString());
        assertEquals(200, r.statusCode(), r.body());
        return json(r.body()).path("exit_code").asInt();
    }

    /** The server's own record of a process it lists now. */
    private static LocalProcess listedProcess(String id, long pid) {
        return server.processes(id).stream()
                .filter(p -> p.pid() == pid)
                .findFirst()
                .orElseThrow(() -> new AssertionError("process " + pid + " is not listed"));
    }

    private static boolean listed(String id, long pid) throws Exception {
        List<Long> pids = new ArrayList<>();
        json(send("GET", "/v1/capsules/" + id + "/processes").body())
                .path("processes")
                .forEach(p -> pids.add(p.path("pid").asLong()));
        return pids.contains(pid);
    }

    /** Whether the pid runs and is not a zombie waiting to be reaped. */
    private static boolean alive(long pid) {
        Path stat = Path.of("/proc/" + pid + "/stat");
        try {
            String text = Files.readString(stat);
            return text.charAt(text.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            // Gone (no such file), or going while read ("No such process").
            return false;
        }
    }

    private static JsonNode json(String text) throws Exception {
        return WrennTestServer.JSON.readTree(text);
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(request("POST", path, body), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> send(String method, String path) throws Exception {
        return HTTP.send(request(method, path, null), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest request(String method, String path, String body) {
        return HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .header("X-API-Key", KEY)
                .header("Content-Type", "application/json")
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
    }

    private static List<String> openDescriptors(Path proc) throws IOException {
        try (var fds = Files.list(proc.resolve("fd"))) {
            return fds.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }
}
