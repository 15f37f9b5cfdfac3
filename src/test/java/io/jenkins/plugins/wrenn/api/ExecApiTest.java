package io.jenkins.plugins.wrenn.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.LocalProcess;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
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
class ExecApiTest {

    static final String KEY = "wrn_test_exec";
    static WrennTestServer server;
    static WrennClient client;

    /** Which generation of the real server the test server speaks in this run. */
    @Parameter
    ServerGeneration generation;

    @BeforeParameterizedClassInvocation
    static void start(ServerGeneration serverGeneration) throws Exception {
        server = WrennTestServer.start(KEY, serverGeneration);
        client = WrennClient.builder(server.baseUrl(), KEY).build();
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        client.close();
        server.close();
    }

    @Test
    void foregroundReturnsOutputsAndExitCode() throws Exception {
        String id = server.createCapsule();
        ExecResult r = client.commands()
                .run(id, ExecRequest.foreground("/bin/sh", List.of("-c", "echo out; echo err >&2; exit 3"), 10));
        assertEquals("out\n", r.stdout());
        assertEquals("err\n", r.stderr());
        assertEquals(3, r.exitCode());
        assertTrue(r.durationMs() >= 0);
        String body = server.requests("POST", ".*/exec").getLast().body();
        assertTrue(body.contains("\"timeout_sec\":10"), body);
        assertFalse(body.contains("\"timeout\""), body);
    }

    @Test
    void timeoutIsOmittedWhenNotGivenAndTheServerTimeoutIsA502() throws Exception {
        String id = server.createCapsule();
        client.commands().run(id, ExecRequest.foreground("true", List.of(), null));
        assertFalse(server.requests("POST", ".*/exec").getLast().body().contains("timeout"));

        WrennApiException e = assertThrows(
                WrennApiException.class,
                () -> client.commands().run(id, ExecRequest.foreground("sleep", List.of("5"), 1)));
        assertEquals(WrennApiException.Kind.SERVER_ERROR, e.kind());
        assertEquals(502, e.httpStatus());
        assertEquals("agent_error", e.errorCode());
    }

    @Test
    void binaryOutputArrivesBase64AndIsDecoded() throws Exception {
        String id = server.createCapsule();
        ExecResult r = client.commands()
                .run(
                        id,
                        ExecRequest.foreground(
                                "/bin/sh", List.of("-c", "printf 'caf\\303\\251 \\377'; printf 'plain' >&2"), null));
        assertEquals("café \uFFFD", r.stdout());
        assertEquals("plain", r.stderr());
        assertTrue(server.requests("POST", ".*/exec").size() >= 1);
    }

    @Test
    void outputLargerThanJacksonsDefaultStringLimitIsRead() throws Exception {
        String id = server.createCapsule();
        // 24 MiB of 'x': above the 20 million characters a default Jackson parser accepts.
        ExecResult r = client.commands()
                .run(
                        id,
                        ExecRequest.foreground(
                                "/bin/sh", List.of("-c", "head -c 25165824 /dev/zero | tr '\\0' x"), 60));
        assertEquals(25_165_824, r.stdout().length());
        assertTrue(r.stdout().chars().allMatch(c -> c == 'x'));
    }

    @Test
    void outputsCanStreamToTheCallersSinks() throws Exception {
        String id = server.createCapsule();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        ExecCompletion done = client.commands()
                .run(
                        id,
                        ExecRequest.foreground(
                                "/bin/sh", List.of("-c", "seq 1 300000; printf 'e\\377' >&2; exit 5"), 60),
                        out,
                        err);
        assertEquals(5, done.exitCode());
        assertEquals(1_988_895, out.size());
        assertTrue(out.toString().endsWith("299999\n300000\n"));
        assertEquals(2, err.size());
    }

    @Test
    void emptyCommandIsRefusedWithoutARequest() {
        int before = server.requests().size();
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ExecRequest.foreground(" ", List.of(), null));
        assertTrue(e.getMessage().startsWith("cmd:"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> client.commands().stream(server.createCapsule(), "", List.of(), new CollectingListener()));
        assertEquals(before, server.requests().size());
    }

    @Test
    void requestFieldsAreCheckedForTheirMode() {
        IllegalArgumentException envs = assertThrows(
                IllegalArgumentException.class,
                () -> new ExecRequest("env", List.of(), null, false, null, Map.of("A", "1"), null));
        assertTrue(envs.getMessage().startsWith("envs:"), envs.getMessage());
        IllegalArgumentException cwd = assertThrows(
                IllegalArgumentException.class, () -> new ExecRequest("pwd", List.of(), null, false, null, null, "/"));
        assertTrue(cwd.getMessage().startsWith("cwd:"), cwd.getMessage());
        IllegalArgumentException timeout = assertThrows(
                IllegalArgumentException.class, () -> new ExecRequest("x", List.of(), 5, true, null, null, null));
        assertTrue(timeout.getMessage().startsWith("timeout_sec:"), timeout.getMessage());
    }

    @Test
    void backgroundStartsWithEnvsCwdAndTagAndIsListedAndKilled() throws Exception {
        String id = server.createCapsule();
        Files.createDirectories(server.workDir(id).resolve("sub"));
        BackgroundProcess p = client.commands()
                .startBackground(
                        id,
                        ExecRequest.background(
                                "/bin/sh",
                                List.of("-c", "echo \"$GREETING\" > seen.txt; pwd >> seen.txt; exec sleep 60"),
                                "web-server",
                                Map.of("GREETING", "hello"),
                                "sub"));
        assertEquals("web-server", p.tag());
        assertTrue(p.pid() > 0);
        String body = server.requests("POST", ".*/exec").getLast().body();
        assertTrue(body.contains("\"background\":true") && body.contains("\"cwd\":\"sub\""), body);

        List<ProcessInfo> listed = client.processes().list(id);
        assertEquals(1, listed.size());
        assertEquals(p.pid(), listed.getFirst().pid());
        assertEquals("web-server", listed.getFirst().tag());
        assertEquals("/bin/sh", listed.getFirst().cmd());

        Await.until(
                () -> Files.exists(server.workDir(id).resolve("sub/seen.txt"))
                        && Files.readAllLines(server.workDir(id).resolve("sub/seen.txt"))
                                        .size()
                                == 2,
                "the background process to write seen.txt");
        List<String> seen = Files.readAllLines(server.workDir(id).resolve("sub/seen.txt"));
        assertEquals("hello", seen.get(0));
        assertTrue(seen.get(1).endsWith("/sub"), seen.get(1));

        LocalProcess local = server.processes(id).getFirst();
        client.processes().kill(id, "web-server", Signal.SIGTERM);
        Await.until(() -> !local.isAlive(), "the process state to change");
        assertEquals(
                "SIGTERM",
                server.requests("DELETE", ".*/processes/web-server")
                        .getLast()
                        .query()
                        .substring(7));
        Await.until(() -> client.processes().list(id).isEmpty(), "the process state to change");
    }

    @Test
    void serverChoosesATagAndKillByPidUsesSigkill() throws Exception {
        String id = server.createCapsule();
        // A process that ignores SIGTERM still ends on SIGKILL.
        BackgroundProcess p = client.commands()
                .startBackground(
                        id,
                        ExecRequest.background("/bin/sh", List.of("-c", "trap '' TERM; sleep 60"), null, null, null));
        assertTrue(p.tag().startsWith("proc-"), p.tag());
        LocalProcess local = server.processes(id).getFirst();
        client.processes().kill(id, Long.toString(p.pid()), Signal.SIGKILL);
        Await.until(() -> !local.isAlive(), "the process state to change");
        WrennApiException e =
                assertThrows(WrennApiException.class, () -> client.processes().kill(id, "no-such-tag", Signal.SIGTERM));
        assertEquals(WrennApiException.Kind.NOT_FOUND, e.kind());
    }

    @Test
    void cleartextRequestsAreHttp11WithoutAnH2cUpgrade() throws Exception {
        // The test server, like a proxy that does not speak h2c, drops the body of such requests.
        String id = server.createCapsule();
        ExecResult r = client.commands().run(id, ExecRequest.foreground("echo", List.of("body arrived"), null));
        assertEquals("body arrived\n", r.stdout());
        WrennTestServer.RecordedRequest post =
                server.requests("POST", ".*/" + id + "/exec").getLast();
        assertFalse(
                post.headers().keySet().stream().anyMatch(h -> h.equalsIgnoreCase("Upgrade")),
                post.headers().toString());
    }
}
