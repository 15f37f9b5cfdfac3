package io.jenkins.plugins.wrenn.testserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Checks that the test server behaves like the real Wrenn server of each generation, through raw
 * HTTP/1.1 and raw JDK WebSockets, so that the plugin's own tests mean something.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class WrennTestServerTest {

    static final String KEY = "wrn_test_server_itself";
    static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    WrennTestServer server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    // ---- HTTP: error envelopes and lifecycle

    @Test
    void olderGenerationErrorsAreCodeAndMessageOnly() throws Exception {
        server = WrennTestServer.start(KEY);
        String id = server.createCapsule();
        server.setStatus(id, "paused");

        HttpResponse<String> missing = get("/v1/capsules/cl-0000000000000000000000000", KEY);
        assertEquals(404, missing.statusCode());
        assertEquals("{\"error\":{\"code\":\"not_found\",\"message\":\"sandbox not found\"}}", missing.body());
        assertTrue(missing.headers().firstValue("X-Request-ID").isEmpty());

        HttpResponse<String> paused = post("/v1/capsules/" + id + "/exec", "{\"cmd\":\"true\"}", KEY);
        assertEquals(409, paused.statusCode());
        assertError(paused, "invalid_state", "sandbox is not running (status: paused)");

        assertError(get("/v1/capsules/nope", KEY), "invalid_request", "invalid sandbox ID");
        assertError(get("/v1/capsules", "wrn_wrong"), "unauthorized", "invalid API key");
        assertEquals(401, get("/v1/capsules", "wrn_wrong").statusCode());
    }

    @Test
    void currentGenerationErrorsCarryRequestIdRetryableAndDetails() throws Exception {
        server = WrennTestServer.start(KEY, ServerGeneration.CURRENT);
        String id = server.createCapsule();
        server.setStatus(id, "paused");

        HttpResponse<String> ok = get("/v1/capsules/" + id, KEY);
        assertEquals(200, ok.statusCode());
        assertTrue(ok.headers().firstValue("X-Request-ID").orElse("").matches("req_[0-9a-f]{16}"));

        HttpResponse<String> missing = get("/v1/capsules/cl-0000000000000000000000000", KEY);
        assertEquals(404, missing.statusCode());
        JsonNode e = assertError(missing, "sandbox_not_found", "Sandbox not found.");
        assertEquals(
                missing.headers().firstValue("X-Request-ID").orElseThrow(),
                e.path("request_id").asText());
        assertFalse(e.path("retryable").asBoolean(true));

        HttpResponse<String> paused = post("/v1/capsules/" + id + "/exec", "{\"cmd\":\"true\"}", KEY);
        assertEquals(409, paused.statusCode());
        JsonNode notRunning = assertError(paused, "sandbox_not_running", "Sandbox is not running.");
        assertEquals("paused", notRunning.path("details").path("status").asText());

        assertError(get("/v1/capsules", "wrn_wrong"), "auth_invalid_api_key", "Invalid API key.");
        assertError(get("/v1/capsules/nope", KEY), "invalid_request", "Invalid sandbox ID.");
    }

    @Test
    void failNextWithErrorSpeaksTheGenerationsEnvelope() throws Exception {
        server = WrennTestServer.start(KEY, ServerGeneration.CURRENT);
        server.failNextWithError("GET", "/api/v1/capsules", 429, "rate_limited", "Too many requests.", true);
        HttpResponse<String> limited = get("/v1/capsules", KEY);
        assertEquals(429, limited.statusCode());
        JsonNode e = assertError(limited, "rate_limited", "Too many requests.");
        assertTrue(e.path("retryable").asBoolean(false));
        assertEquals(
                limited.headers().firstValue("X-Request-ID").orElseThrow(),
                e.path("request_id").asText());
        assertEquals(200, get("/v1/capsules", KEY).statusCode(), "only the next request fails");
    }

    @Test
    void olderGenerationLifecycleIsSynchronous() throws Exception {
        server = WrennTestServer.start(KEY);
        HttpResponse<String> created = post("/v1/capsules", "{\"template\":\"base\"}", KEY);
        assertEquals(201, created.statusCode());
        JsonNode capsule = json(created.body());
        assertEquals("running", capsule.path("status").asText());
        String id = capsule.path("id").asText();

        HttpResponse<String> paused = post("/v1/capsules/" + id + "/pause", "", KEY);
        assertEquals(200, paused.statusCode());
        assertEquals("paused", json(paused.body()).path("status").asText());
        HttpResponse<String> resumed = post("/v1/capsules/" + id + "/resume", "", KEY);
        assertEquals(200, resumed.statusCode());
        assertEquals("running", json(resumed.body()).path("status").asText());
        assertEquals(204, send("DELETE", "/v1/capsules/" + id, null, KEY).statusCode());
        assertEquals(404, get("/v1/capsules/" + id, KEY).statusCode());
    }

    @Test
    void currentGenerationLifecycleAnswers202AndPassesThroughTransitionalStatuses() throws Exception {
        server = WrennTestServer.start(KEY, ServerGeneration.CURRENT);
        server.setTransitionDelay(Duration.ofMillis(300));

        // Held while the transitional status is checked, which a loaded machine may not do in 300 ms.
        server.holdTransitions();
        HttpResponse<String> created = post("/v1/capsules", "{\"template\":\"base\"}", KEY);
        assertEquals(202, created.statusCode());
        assertEquals("starting", json(created.body()).path("status").asText());
        String id = json(created.body()).path("id").asText();
        assertEquals(
                409,
                post("/v1/capsules/" + id + "/exec", "{\"cmd\":\"true\"}", KEY).statusCode());
        server.releaseTransitions();
        awaitStatus(id, "running");

        HttpResponse<String> pausing = post("/v1/capsules/" + id + "/pause", "", KEY);
        assertEquals(202, pausing.statusCode());
        assertEquals("pausing", json(pausing.body()).path("status").asText());
        awaitStatus(id, "paused");

        HttpResponse<String> resuming = post("/v1/capsules/" + id + "/resume", "", KEY);
        assertEquals(202, resuming.statusCode());
        assertEquals("resuming", json(resuming.body()).path("status").asText());
        awaitStatus(id, "running");

        server.holdTransitions();
        HttpResponse<String> destroyed = send("DELETE", "/v1/capsules/" + id, null, KEY);
        assertEquals(202, destroyed.statusCode());
        assertEquals("stopping", status(id));
        server.releaseTransitions();
        awaitStatus(id, "stopped");
    }

    @Test
    void aHeldTransitionWaitsForItsReleaseAndThenCompletes() throws Exception {
        server = WrennTestServer.start(KEY, ServerGeneration.CURRENT);
        server.setTransitionDelay(Duration.ofMillis(50));
        server.holdTransitions();
        String id = json(post("/v1/capsules", "{\"template\":\"base\"}", KEY).body())
                .path("id")
                .asText();
        Thread.sleep(500);
        assertEquals("starting", status(id), "held well past its delay");
        server.releaseTransitions();
        awaitStatus(id, "running");
        HttpResponse<String> pausing = post("/v1/capsules/" + id + "/pause", "", KEY);
        assertEquals("pausing", json(pausing.body()).path("status").asText());
        awaitStatus(id, "paused");
    }

    @Test
    void anH2cUpgradeRequestLosesItsBodyUnlessTurnedOff() throws Exception {
        server = WrennTestServer.start(KEY);
        String id = server.createCapsule();
        // Left at HTTP_2, the JDK client asks a cleartext server for an h2c upgrade.
        HttpClient h2 =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        String body = "{\"cmd\":\"true\",\"background\":true}";
        HttpRequest exec = HttpRequest.newBuilder(uri("/v1/capsules/" + id + "/exec"))
                .header("X-API-Key", KEY)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();

        HttpResponse<String> dropped = h2.send(exec, HttpResponse.BodyHandlers.ofString());
        assertError(dropped, "invalid_request", "invalid JSON body");
        WrennTestServer.RecordedRequest seen =
                server.requests("POST", ".*/exec").getLast();
        assertTrue(
                seen.headers().getOrDefault("upgrade", "").contains("h2c"),
                seen.headers().toString());
        assertEquals("", seen.body());

        server.setH2cRefused(false);
        assertEquals(202, h2.send(exec, HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(202, post("/v1/capsules/" + id + "/exec", body, KEY).statusCode(), "HTTP/1.1 is unaffected");
    }

    // ---- streams

    @Test
    void aStreamEndsWithItsExitMessageAndATcpCloseWithoutCloseFrame() throws Exception {
        server = WrennTestServer.start(KEY);
        String id = server.createCapsule();
        RawWs ws = RawWs.open(server, "/v1/capsules/" + id + "/exec/stream", KEY);
        ws.start("/bin/sh", "-c", "echo hi; exit 3");
        assertEquals("start", ws.next().path("type").asText());
        assertEquals("hi\n", ws.next().path("data").asText());
        JsonNode exit = ws.next();
        assertEquals("exit", exit.path("type").asText());
        assertEquals(3, exit.path("exit_code").asInt());
        ws.assertEndedWithoutCloseFrame();
    }

    @Test
    void aProcessKilledByASignalReportsMinusOne() throws Exception {
        server = WrennTestServer.start(KEY);
        String id = server.createCapsule();
        RawWs self = RawWs.open(server, "/v1/capsules/" + id + "/exec/stream", KEY);
        self.start("/bin/sh", "-c", "kill -KILL $$");
        assertEquals("start", self.next().path("type").asText());
        assertEquals(-1, self.next().path("exit_code").asInt(0));

        RawWs killed = RawWs.open(server, "/v1/capsules/" + id + "/exec/stream", KEY);
        killed.start("sleep", "30");
        long pid = killed.next().path("pid").asLong();
        assertEquals(
                204,
                send("DELETE", "/v1/capsules/" + id + "/processes/" + pid, null, KEY)
                        .statusCode());
        JsonNode exit = killed.next();
        assertEquals("exit", exit.path("type").asText());
        assertEquals(-1, exit.path("exit_code").asInt(0));
    }

    @Test
    void aCharacterSplitBetweenTwoChunksArrivesAsReplacementCharacters() throws Exception {
        server = WrennTestServer.start(KEY);
        server.setChunkBytes(4);
        String id = server.createCapsule();
        RawWs ws = RawWs.open(server, "/v1/capsules/" + id + "/exec/stream", KEY);
        // One write of "abc" + the 3 bytes of the euro sign: read back as 4 + 2 bytes. The second
        // euro sign waits at a gate until the server has sent all of the first write, so that the
        // two writes are never read as one.
        ws.start("/bin/sh", "-c", "printf 'abc\\342\\202\\254'; " + awaitGate(1) + "; printf '\\342\\202\\254'");
        assertEquals("start", ws.next().path("type").asText());
        StringBuilder out = new StringBuilder();
        while (!out.toString().equals("abc\uFFFD\uFFFD\uFFFD")) {
            JsonNode m = ws.next();
            assertEquals("stdout", m.path("type").asText(), m.toString());
            out.append(m.path("data").asText());
            assertTrue(out.length() <= 6, "split: 3 replacements, not " + out);
        }
        openGate(id, 1);
        for (JsonNode m = ws.next(); !m.path("type").asText().equals("exit"); m = ws.next()) {
            out.append(m.path("data").asText());
        }
        assertEquals("abc\uFFFD\uFFFD\uFFFD\u20AC", out.toString(), "split: 3 replacements; whole: kept");
    }

    @Test
    void chunksAreDecodedOneByOneAsGoEncodesThem() {
        byte[] euro = "\u20AC".getBytes(StandardCharsets.UTF_8);
        assertEquals("\u20AC", Utf8Chunk.decode(euro, 3));
        assertEquals("\uFFFD\uFFFD", Utf8Chunk.decode(euro, 2));
        assertEquals("\uFFFD\uFFFD", Utf8Chunk.decode(new byte[] {euro[1], euro[2]}, 2));
        assertEquals("a\uFFFDb", Utf8Chunk.decode(new byte[] {'a', (byte) 0xFF, 'b'}, 3));
        byte[] emoji = "\uD83D\uDE00".getBytes(StandardCharsets.UTF_8);
        assertEquals("\uD83D\uDE00", Utf8Chunk.decode(emoji, 4));
        assertEquals("\uFFFD\uFFFD", Utf8Chunk.decode(new byte[] {(byte) 0xED, (byte) 0xA0}, 2), "no surrogates");
    }

    @Test
    void olderGenerationAuthenticatesAWrongKeyByTheFirstMessage() throws Exception {
        server = WrennTestServer.start(KEY);
        // A wait far longer than any slow machine's delay: an answer well within it came at once.
        server.setAuthWait(Duration.ofMinutes(1));
        String id = server.createCapsule();
        RawWs eager = RawWs.open(server, "/v1/capsules/" + id + "/exec/stream", "wrn_wrong");
        long sent = System.nanoTime();
        eager.start("/bin/sh", "-c", "echo never");
        assertEquals("{\"type\":\"error\",\"data\":\"authentication failed\"}", eager.nextText());
        assertTrue(System.nanoTime() - sent < TimeUnit.SECONDS.toNanos(30), "a start as first message fails at once");
        eager.assertEndedWithoutCloseFrame();

        server.setAuthWait(Duration.ofMillis(400));
        long opened = System.nanoTime();
        RawWs silent = RawWs.open(server, "/v1/capsules/" + id + "/exec/stream", "wrn_wrong");
        assertEquals("authentication failed", silent.next().path("data").asText());
        assertTrue(System.nanoTime() - opened >= TimeUnit.MILLISECONDS.toNanos(400), "a silent client is waited for");
    }

    @Test
    void currentGenerationRefusesAWrongKeyBeforeTheUpgrade() throws Exception {
        server = WrennTestServer.start(KEY, ServerGeneration.CURRENT);
        String id = server.createCapsule();
        CompletionException e = assertThrows(
                CompletionException.class, () -> Ws.open(server, "/v1/capsules/" + id + "/exec/stream", "wrn_wrong"));
        WebSocketHandshakeException refused = assertInstanceOf(WebSocketHandshakeException.class, e.getCause());
        assertEquals(401, refused.getResponse().statusCode());
        try (RawWs raw = RawWs.open(server, "/v1/capsules/" + id + "/exec/stream", null)) {
            assertEquals(401, raw.status);
            assertTrue(raw.head.contains("auth_session_required"), raw.head);
        }
    }

    @Test
    void capsuleProblemsArriveAsStreamErrorsInBothGenerations() throws Exception {
        for (ServerGeneration g : ServerGeneration.values()) {
            try (WrennTestServer s = WrennTestServer.start(KEY, g)) {
                String id = s.createCapsule();
                s.setStatus(id, "paused");
                RawWs paused = RawWs.open(s, "/v1/capsules/" + id + "/exec/stream", KEY);
                assertEquals(
                        "sandbox is not running (status: paused)",
                        paused.next().path("data").asText(),
                        g.name());
                paused.assertEndedWithoutCloseFrame();
                RawWs missing = RawWs.open(s, "/v1/capsules/cl-0000000000000000000000000/exec/stream", KEY);
                assertEquals("sandbox not found", missing.next().path("data").asText(), g.name());
            }
        }
    }

    @Test
    void theFirstStreamMessageMustBeAStartWithACommand() throws Exception {
        server = WrennTestServer.start(KEY);
        String id = server.createCapsule();
        RawWs ws = RawWs.open(server, "/v1/capsules/" + id + "/exec/stream", KEY);
        ws.sendText("{\"type\":\"stop\"}");
        assertEquals(
                "first message must be type 'start' with a 'cmd' field",
                ws.next().path("data").asText());
    }

    @Test
    void attachStartsWithTheStartMessage() throws Exception {
        server = WrennTestServer.start(KEY);
        String id = server.createCapsule();
        HttpResponse<String> bg = post(
                "/v1/capsules/" + id + "/exec",
                "{\"cmd\":\"/bin/sh\",\"args\":[\"-c\",\"" + awaitGate(1)
                        + "; echo late; exit 4\"],\"background\":true}",
                KEY);
        long pid = json(bg.body()).path("pid").asLong();
        RawWs ws = RawWs.open(server, "/v1/capsules/" + id + "/processes/" + pid + "/stream", KEY);
        JsonNode start = ws.next();
        assertEquals("start", start.path("type").asText());
        assertEquals(pid, start.path("pid").asLong());
        // The start comes once the attach is subscribed: only what is written after it is seen.
        openGate(id, 1);
        assertEquals("late\n", ws.next().path("data").asText());
        assertEquals(4, ws.next().path("exit_code").asInt());
    }

    @Test
    void attachingToAnUnknownProcessDiffersByGeneration() throws Exception {
        server = WrennTestServer.start(KEY);
        String id = server.createCapsule();
        RawWs old = RawWs.open(server, "/v1/capsules/" + id + "/processes/999999/stream", KEY);
        assertEquals(
                "failed to connect to process: process not found",
                old.next().path("data").asText());
        server.close();

        server = WrennTestServer.start(KEY, ServerGeneration.CURRENT);
        String id2 = server.createCapsule();
        RawWs current = RawWs.open(server, "/v1/capsules/" + id2 + "/processes/999999/stream", KEY);
        current.assertEndedWithoutCloseFrame();
    }

    // ---- faults

    @Test
    void aDroppedStreamIsCutRightAfterTheMessageWhileTheProcessRuns() throws Exception {
        server = WrennTestServer.start(KEY);
        String id = server.createCapsule();
        server.dropNextStreamAfter(2);
        RawWs ws = RawWs.open(server, "/v1/capsules/" + id + "/exec/stream", KEY);
        // Each line waits for the test to have read the one before, so that no two are read as one.
        ws.start(
                "/bin/sh", "-c", "echo 1; " + awaitGate(1) + "; echo 2; " + awaitGate(2) + "; echo 3; " + awaitGate(3));
        long pid = ws.next().path("pid").asLong();
        assertEquals("1\n", ws.next().path("data").asText());
        openGate(id, 1);
        assertEquals("2\n", ws.next().path("data").asText());
        openGate(id, 2);
        ws.assertEndedWithoutCloseFrame();
        assertTrue(
                server.processes(id).stream().anyMatch(p -> p.pid() == pid && p.isAlive()),
                "the process runs on, at its last gate");
    }

    @Test
    void aSilencedStreamSendsNothingMoreAnswersNoPingAndStaysOpen() throws Exception {
        server = WrennTestServer.start(KEY);
        String id = server.createCapsule();

        Ws normal = Ws.open(server, "/v1/capsules/" + id + "/exec/stream", KEY);
        normal.start("sleep", "5");
        normal.next();
        normal.socket.sendPing(ByteBuffer.wrap(new byte[] {1})).join();
        assertNotNull(normal.pongs.poll(5, TimeUnit.SECONDS), "a live stream answers pings");

        server.silenceNextStreamAfter(1);
        Ws ws = Ws.open(server, "/v1/capsules/" + id + "/exec/stream", KEY);
        ws.start("/bin/sh", "-c", "echo 1; " + awaitGate(1) + "; echo 2; " + awaitGate(2));
        long pid = ws.next().path("pid").asLong();
        assertEquals("1\n", ws.next().path("data").asText());
        // Line 2 comes now, and must not be sent.
        openGate(id, 1);
        // The relay freezes the connection just after passing message 1 on; a ping sent before
        // that would still be answered.
        Await.until(() -> server.frozenConnections() == 1, "the relay to freeze the stream's connection");
        ws.socket.sendPing(ByteBuffer.wrap(new byte[] {2})).join();
        assertNull(ws.pongs.poll(1500, TimeUnit.MILLISECONDS), "no pong from a silenced stream");
        assertNull(ws.messages.poll(), "nothing more is sent");
        assertFalse(ws.socket.isInputClosed(), "the server never closes it");
        assertTrue(server.processes(id).stream().anyMatch(p -> p.pid() == pid));
        ws.socket.abort();
    }

    // ---- helpers

    /** Shell that waits until the test opens gate {@code n} in the capsule's HOME. */
    private static String awaitGate(int n) {
        return "while [ ! -e gate-" + n + " ]; do sleep 0.05; done";
    }

    private void openGate(String id, int n) throws IOException {
        Files.createFile(server.workDir(id).resolve("gate-" + n));
    }

    private URI uri(String path) {
        return URI.create(server.baseUrl() + path);
    }

    private HttpResponse<String> get(String path, String key) throws Exception {
        return send("GET", path, null, key);
    }

    private HttpResponse<String> post(String path, String body, String key) throws Exception {
        return send("POST", path, body, key);
    }

    private HttpResponse<String> send(String method, String path, String body, String key) throws Exception {
        HttpRequest.BodyPublisher publisher =
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body);
        HttpRequest request = HttpRequest.newBuilder(uri(path))
                .header("X-API-Key", key)
                .method(method, publisher)
                .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private String status(String id) throws Exception {
        return json(get("/v1/capsules/" + id, KEY).body()).path("status").asText();
    }

    private void awaitStatus(String id, String expected) throws Exception {
        Await.until(() -> expected.equals(status(id)), "status " + expected);
    }

    private static JsonNode json(String text) throws Exception {
        return WrennTestServer.JSON.readTree(text);
    }

    private static JsonNode assertError(HttpResponse<String> response, String code, String message) throws Exception {
        JsonNode error = json(response.body()).path("error");
        assertEquals(code, error.path("code").asText(), response.body());
        assertEquals(message, error.path("message").asText(), response.body());
        return error;
    }

    /**
     * A WebSocket client written on a plain socket, to see what the JDK client hides: whether the
     * server ended with a close frame or only closed the connection.
     */
    static final class RawWs implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        final int status;
        /** The response head, and for a refused upgrade its body. */
        final String head;

        private RawWs(Socket socket, int status, String head) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
            this.status = status;
            this.head = head;
        }

        static RawWs open(WrennTestServer server, String path, String key) throws IOException {
            URI base = server.baseUrl();
            Socket socket = new Socket(base.getHost(), base.getPort());
            socket.setSoTimeout(10_000);
            String request = "GET " + base.getPath() + path + " HTTP/1.1\r\n"
                    + "Host: " + base.getHost() + ":" + base.getPort() + "\r\n"
                    + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    + (key == null ? "" : "X-API-Key: " + key + "\r\n")
                    + "\r\n";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                head.append((char) b);
            }
            int status = Integer.parseInt(head.substring(9, 12));
            Matcher length = Pattern.compile("(?i)content-length: (\\d+)").matcher(head);
            if (status != 101 && length.find()) {
                head.append(new String(in.readNBytes(Integer.parseInt(length.group(1))), StandardCharsets.UTF_8));
            }
            return new RawWs(socket, status, head.toString());
        }

        void start(String cmd, String... args) throws IOException {
            sendText(WrennTestServer.JSON
                    .createObjectNode()
                    .put("type", "start")
                    .put("cmd", cmd)
                    .set("args", WrennTestServer.JSON.valueToTree(List.of(args)))
                    .toString());
        }

        void sendText(String text) throws IOException {
            byte[] payload = text.getBytes(StandardCharsets.UTF_8);
            if (payload.length > 0xFFFF) {
                throw new IllegalArgumentException("messages of up to 65535 bytes only");
            }
            // Up to 125 bytes the length fits the second byte; longer, it follows as 16 bits.
            byte[] head = payload.length <= 125
                    ? new byte[] {(byte) 0x81, (byte) (0x80 | payload.length)}
                    : new byte[] {(byte) 0x81, (byte) (0x80 | 126), (byte) (payload.length >> 8), (byte) payload.length
                    };
            byte[] mask = {1, 2, 3, 4};
            byte[] frame = new byte[head.length + 4 + payload.length];
            System.arraycopy(head, 0, frame, 0, head.length);
            System.arraycopy(mask, 0, frame, head.length, 4);
            for (int i = 0; i < payload.length; i++) {
                frame[head.length + 4 + i] = (byte) (payload[i] ^ mask[i % 4]);
            }
            out.write(frame);
            out.flush();
        }

        /** The next frame as opcode and payload, or null when the connection ended (EOF or reset). */
        private Object[] readFrame() throws IOException {
            try {
                int b0 = in.read();
                if (b0 < 0) {
                    return null;
                }
                int len = in.read() & 0x7F;
                if (len == 126) {
                    len = (in.read() << 8) | in.read();
                } else if (len == 127) {
                    long l = ByteBuffer.wrap(in.readNBytes(8)).getLong();
                    len = Math.toIntExact(l);
                }
                return new Object[] {b0 & 0x0F, in.readNBytes(len)};
            } catch (SocketException e) {
                return null;
            }
        }

        String nextText() throws IOException {
            Object[] frame = readFrame();
            assertNotNull(frame, "a message, not the end of the connection");
            assertEquals(1, frame[0], "a text frame");
            return new String((byte[]) frame[1], StandardCharsets.UTF_8);
        }

        JsonNode next() throws Exception {
            return json(nextText());
        }

        /** Nothing more arrives: the server closed the TCP connection without a close frame. */
        void assertEndedWithoutCloseFrame() throws IOException {
            Object[] frame = readFrame();
            if (frame != null) {
                String what = (int) frame[0] == 8 ? "a close frame" : "a frame with opcode " + frame[0];
                throw new AssertionError("expected the connection to end, got " + what + ": "
                        + new String((byte[]) frame[1], StandardCharsets.UTF_8));
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** A raw JDK WebSocket that keeps every message, pong and the way it ended. */
    static final class Ws implements WebSocket.Listener {
        final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        final BlockingQueue<ByteBuffer> pongs = new LinkedBlockingQueue<>();
        final BlockingQueue<String> endings = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();
        WebSocket socket;

        static Ws open(WrennTestServer server, String path, String key) {
            Ws ws = new Ws();
            URI uri = URI.create(server.baseUrl().toString().replaceFirst("^http", "ws") + path);
            ws.socket = HTTP.newWebSocketBuilder()
                    .header("X-API-Key", key)
                    .buildAsync(uri, ws)
                    .join();
            return ws;
        }

        void start(String cmd, String... args) throws Exception {
            String msg = WrennTestServer.JSON
                    .createObjectNode()
                    .put("type", "start")
                    .put("cmd", cmd)
                    .set("args", WrennTestServer.JSON.valueToTree(List.of(args)))
                    .toString();
            socket.sendText(msg, true).get(5, TimeUnit.SECONDS);
        }

        String nextText() throws InterruptedException {
            String m = messages.poll(10, TimeUnit.SECONDS);
            assertNotNull(m, "a message within 10 s; ended: " + endings);
            return m;
        }

        JsonNode next() throws Exception {
            return json(nextText());
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                messages.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
            pongs.add(message);
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            endings.add("close " + statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            endings.add("error " + error);
        }
    }
}
