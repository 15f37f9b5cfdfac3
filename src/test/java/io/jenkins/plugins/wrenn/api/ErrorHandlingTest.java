package io.jenkins.plugins.wrenn.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** How the client reports answers that are not the happy path, including ones no Wrenn server gives. */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
@ParameterizedClass(name = "{0} server")
@EnumSource(ServerGeneration.class)
class ErrorHandlingTest {

    static final String KEY = "wrn_test_errors";
    static WrennTestServer server;
    static WrennClient client;

    /** Which generation of the real server the test server speaks in this run. */
    @Parameter
    ServerGeneration generation;

    @BeforeParameterizedClassInvocation
    static void start(ServerGeneration serverGeneration) throws Exception {
        server = WrennTestServer.start(KEY, serverGeneration);
        client = WrennClient.builder(server.baseUrl(), KEY)
                .requestTimeout(Duration.ofSeconds(2))
                .readRetries(3, Duration.ofMillis(50))
                .build();
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        client.close();
        server.close();
    }

    @Test
    void proxyHtmlPageStillGivesAClearServerError() throws Exception {
        String id = server.createCapsule();
        server.failNext(
                "POST",
                ".*/exec",
                502,
                "text/html",
                "<html><head><title>502 Bad Gateway</title><style>body{}</style></head>"
                        + "<body><h1>Bad Gateway</h1></body></html>");
        WrennApiException e = assertThrows(
                WrennApiException.class,
                () -> client.commands().run(id, ExecRequest.foreground("true", List.of(), null)));
        assertEquals(WrennApiException.Kind.SERVER_ERROR, e.kind());
        assertEquals(502, e.httpStatus());
        assertTrue(e.serverMessage().contains("not a Wrenn API error"), e.serverMessage());
        assertTrue(e.serverMessage().contains("text/html"), e.serverMessage());
        assertTrue(e.serverMessage().contains("502 Bad Gateway Bad Gateway"), e.serverMessage());
        assertFalse(e.serverMessage().contains("<"), e.serverMessage());
    }

    @Test
    void aRefusedStreamUpgradeGivesTheSameKindsAsHttp() throws Exception {
        String id = server.createCapsule();
        server.failNext("GET", ".*/exec/stream", 502, "text/html", "<html><body><h1>Bad Gateway</h1></body></html>");
        WrennApiException proxy = assertThrows(
                WrennApiException.class,
                () -> client.commands().stream(id, "true", List.of(), new CollectingListener()));
        assertEquals(WrennApiException.Kind.SERVER_ERROR, proxy.kind());
        assertEquals(502, proxy.httpStatus());
        assertTrue(proxy.serverMessage().contains("Bad Gateway"), proxy.serverMessage());
        assertFalse(proxy.serverMessage().contains("<"), proxy.serverMessage());

        server.failNext(
                "GET",
                ".*/exec/stream",
                401,
                "application/json",
                "{\"error\":{\"code\":\"unauthorized\",\"message\":\"invalid API key\"}}");
        WrennApiException key = assertThrows(
                WrennApiException.class,
                () -> client.commands().stream(id, "true", List.of(), new CollectingListener()));
        assertEquals(WrennApiException.Kind.AUTHENTICATION_FAILED, key.kind());
        assertEquals("invalid API key", key.serverMessage());
        assertTrue(server.processes(id).isEmpty());
    }

    @Test
    void aNotFoundWithoutTheApisErrorIsNotAMissingCapsule() throws Exception {
        String id = server.createCapsule();
        // The base URL without its /api part: the server's router answers a plain-text 404.
        URI withoutApi = URI.create(server.baseUrl().toString().replaceFirst("/api$", ""));
        try (WrennClient wrongUrl = WrennClient.builder(withoutApi, KEY).build()) {
            WrennApiException e = assertThrows(
                    WrennApiException.class, () -> wrongUrl.capsules().get(id));
            assertEquals(WrennApiException.Kind.UNEXPECTED_RESPONSE, e.kind());
            assertEquals(404, e.httpStatus());
        }
        // The API's own 404 carries its error envelope: that one is a missing capsule.
        WrennApiException missing =
                assertThrows(WrennApiException.class, () -> client.capsules().get("cl-0000000000000000000000000"));
        assertEquals(WrennApiException.Kind.NOT_FOUND, missing.kind());
    }

    @Test
    void aServersSentenceIsQuotedWithoutItsFullStopAndNamesTheRefusedField() {
        server.failNext(
                "GET",
                "/api/v1/capsules",
                400,
                "application/json",
                "{\"error\":{\"code\":\"validation_failed\",\"message\":\"One or more fields are invalid.\","
                        + "\"details\":{\"field\":\"metadata\"}}}");
        WrennApiException e =
                assertThrows(WrennApiException.class, () -> client.capsules().list());
        assertEquals(WrennApiException.Kind.INVALID_REQUEST, e.kind());
        assertEquals("metadata", e.invalidField());
        assertEquals("One or more fields are invalid (field metadata)", e.said());
        assertTrue(
                e.getMessage().contains("One or more fields are invalid (field metadata) [HTTP 400"), e.getMessage());

        server.failNextWithError("GET", "/api/v1/capsules", 400, "invalid_request", "Invalid sandbox ID.", false);
        WrennApiException plain =
                assertThrows(WrennApiException.class, () -> client.capsules().list());
        assertEquals("Invalid sandbox ID", plain.said());
        assertEquals("Invalid sandbox ID.", plain.serverMessage());
    }

    @Test
    void aProxyPageIsDescribedOnceWithItsStatus() {
        server.failNext(
                "GET", "/api/v1/capsules", 413, "text/html", "<html><body>413 Request Entity Too Large</body></html>");
        WrennApiException e =
                assertThrows(WrennApiException.class, () -> client.capsules().list());
        assertEquals(WrennApiException.Kind.TOO_LARGE, e.kind());
        assertEquals(
                "HTTP 413 with a text/html body that is not a Wrenn API error, from a proxy or load balancer perhaps:"
                        + " 413 Request Entity Too Large",
                e.said());
    }

    @Test
    void emptyErrorBodyIsNamedAsSuch() {
        server.failNext("GET", "/api/v1/capsules", 500, null, "");
        WrennApiException e =
                assertThrows(WrennApiException.class, () -> client.capsules().list());
        assertEquals(WrennApiException.Kind.SERVER_ERROR, e.kind());
        assertEquals(500, e.httpStatus());
        assertEquals("HTTP 500 with an empty body", e.serverMessage());
    }

    @Test
    void forbiddenIsItsOwnKind() {
        server.failNext(
                "GET",
                "/api/v1/capsules",
                403,
                "application/json",
                "{\"error\":{\"code\":\"forbidden\",\"message\":\"no\"}}");
        WrennApiException e =
                assertThrows(WrennApiException.class, () -> client.capsules().list());
        assertEquals(WrennApiException.Kind.FORBIDDEN, e.kind());
        assertEquals("forbidden", e.errorCode());
    }

    @Test
    void readsAreRetriedOn503() throws Exception {
        String id = server.createCapsule();
        String path = "/api/v1/capsules/" + id;
        server.failNext("GET", path, 503, "application/json", "{\"error\":{\"code\":\"host_unavailable\"}}");
        server.failNext("GET", path, 502, "text/plain", "bad gateway");
        assertEquals(id, client.capsules().get(id).id());
        assertEquals(3, server.requests("GET", path).size());
    }

    @Test
    void readsGiveUpAfterTheLastAttempt() throws Exception {
        String id = server.createCapsule();
        String path = "/api/v1/capsules/" + id + "/processes";
        for (int i = 0; i < 3; i++) {
            server.failNext("GET", path, 503, "application/json", "{\"error\":{\"code\":\"no_hosts_available\"}}");
        }
        WrennApiException e =
                assertThrows(WrennApiException.class, () -> client.processes().list(id));
        assertEquals(503, e.httpStatus());
        assertEquals("no_hosts_available", e.errorCode());
        assertEquals(3, server.requests("GET", path).size());
    }

    @Test
    void aRequestThatStartsAProcessIsNeverSentTwice() throws Exception {
        String id = server.createCapsule();
        server.failNext("POST", ".*/exec", 503, "application/json", "{\"error\":{\"code\":\"host_unavailable\"}}");
        WrennApiException e = assertThrows(
                WrennApiException.class,
                () -> client.commands()
                        .startBackground(id, ExecRequest.background("sleep", List.of("1"), null, null, null)));
        assertEquals(WrennApiException.Kind.SERVER_ERROR, e.kind());
        assertEquals(1, server.requests("POST", ".*" + id + "/exec").size());
    }

    @Test
    void slowAnswerIsATimeout() throws Exception {
        String id = server.createCapsule();
        server.delayNext("POST", ".*/ping", Duration.ofSeconds(4));
        WrennApiException e =
                assertThrows(WrennApiException.class, () -> client.capsules().ping(id));
        assertEquals(WrennApiException.Kind.TIMEOUT, e.kind());
        assertEquals(0, e.httpStatus());
    }

    @Test
    void nothingListeningIsAConnectionFailure() throws Exception {
        int freePort;
        try (ServerSocket s = new ServerSocket(0)) {
            freePort = s.getLocalPort();
        }
        try (WrennClient nowhere = WrennClient.builder(URI.create("http://127.0.0.1:" + freePort + "/api"), KEY)
                .readRetries(2, Duration.ofMillis(10))
                .build()) {
            WrennApiException e = assertThrows(
                    WrennApiException.class, () -> nowhere.capsules().list());
            assertEquals(WrennApiException.Kind.CONNECTION_FAILED, e.kind());
        }
    }

    @Test
    void badBaseUrlsAreRefusedNamingTheField() {
        for (String url : List.of("ftp://example.com/api", "app.wrenn.dev/api", "https:///api", "https://h/api?x=1")) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> WrennClient.builder(URI.create(url), KEY));
            assertTrue(e.getMessage().startsWith("API base URL:"), e.getMessage());
        }
        // A password in the URL would reach every log line and error that names the URL.
        for (String url : List.of("https://user:s3cret@app.wrenn.dev/api", "ftp://user:s3cret@host")) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> WrennClient.builder(URI.create(url), KEY));
            assertEquals("API base URL: must not contain a user name or password (user:password@host)", e.getMessage());
        }
        IllegalArgumentException key = assertThrows(
                IllegalArgumentException.class, () -> WrennClient.builder(WrennClient.DEFAULT_BASE_URL, " "));
        assertTrue(key.getMessage().startsWith("API key:"), key.getMessage());
    }

    @Test
    void newerEnvelopeIsClassifiedByCodeAndKeepsRequestIdAndStatus() throws Exception {
        String id = server.createCapsule();
        server.failNext(
                "GET",
                ".*/capsules/" + id,
                409,
                "application/json",
                "{\"error\":{\"code\":\"sandbox_not_running\",\"message\":\"Sandbox is not running.\","
                        + "\"request_id\":\"req_7f3a\",\"retryable\":false,\"details\":{\"status\":\"paused\"}}}");
        WrennApiException e =
                assertThrows(WrennApiException.class, () -> client.capsules().get(id));
        assertEquals(WrennApiException.Kind.NOT_RUNNING, e.kind());
        assertEquals("paused", e.capsuleStatus());
        assertEquals("req_7f3a", e.requestId());
        assertEquals(Boolean.FALSE, e.retryable());
        assertTrue(e.getMessage().contains("request id req_7f3a"), e.getMessage());

        server.failNext(
                "GET",
                ".*/capsules/" + id,
                409,
                "application/json",
                "{\"error\":{\"code\":\"sandbox_not_paused\",\"message\":\"Sandbox is not paused.\"}}");
        assertEquals(
                WrennApiException.Kind.CONFLICT,
                assertThrows(WrennApiException.class, () -> client.capsules().get(id))
                        .kind());

        server.failNext(
                "POST",
                ".*/exec",
                429,
                "application/json",
                "{\"error\":{\"code\":\"rate_limited\",\"message\":\"Too many requests.\",\"retryable\":true}}");
        WrennApiException limited = assertThrows(
                WrennApiException.class,
                () -> client.commands().run(id, ExecRequest.foreground("true", List.of(), null)));
        assertEquals(WrennApiException.Kind.RATE_LIMITED, limited.kind());
        assertEquals(1, server.requests("POST", ".*/" + id + "/exec").size(), "an exec is never sent twice");
    }

    @Test
    void readsAreRetriedOnlyWhereTheServerSaysRetryable() throws Exception {
        String id = server.createCapsule();
        String path = ".*/capsules/" + id;
        server.failNext(
                "GET",
                path,
                503,
                "application/json",
                "{\"error\":{\"code\":\"capacity_unavailable\",\"message\":\"No capacity.\",\"retryable\":true}}");
        assertEquals(id, client.capsules().get(id).id());
        assertEquals(2, server.requests("GET", path).size());

        server.failNext(
                "GET",
                path,
                503,
                "application/json",
                "{\"error\":{\"code\":\"service_unavailable\",\"message\":\"Down.\",\"retryable\":false}}");
        WrennApiException e =
                assertThrows(WrennApiException.class, () -> client.capsules().get(id));
        assertEquals(WrennApiException.Kind.SERVER_ERROR, e.kind());
        assertEquals(3, server.requests("GET", path).size(), "retried although the server said not to");
    }
}
