package io.jenkins.plugins.wrenn.api;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * An error answer is text the client does not control: a proxy or gateway in front of the API may
 * quote the request's headers back (a "bad request" page listing them), and the text reaches build
 * logs and exceptions. The key the client sent never does.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class ApiKeyInAnswersTest {

    static final String KEY = "wrn_key_quoted_back_9a7e";
    static final String QUOTED = "Request rejected. Headers: X-API-Key: " + KEY + "; Accept: application/json";

    WrennTestServer server;
    WrennClient client;

    @BeforeEach
    void start() throws Exception {
        server = WrennTestServer.start(KEY);
        client = WrennClient.builder(server.baseUrl(), KEY)
                .requestTimeout(Duration.ofSeconds(5))
                .readRetries(1, Duration.ofMillis(10))
                .build();
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        server.close();
    }

    static void assertMasked(WrennApiException e) {
        String said = e.getMessage() + " | " + e.said() + " | " + e.serverMessage();
        assertFalse(said.contains(KEY), said);
        assertTrue(said.contains("X-API-Key: ****"), said);
    }

    @Test
    void aProxyPageQuotingTheKeyBackIsMaskedInTheException() throws Exception {
        String id = server.createCapsule();
        server.failNext("GET", ".*/capsules/.*", 400, "text/plain", QUOTED);
        assertMasked(
                assertThrows(WrennApiException.class, () -> client.capsules().get(id)));
    }

    @Test
    void anApiErrorQuotingTheKeyBackIsMaskedInTheException() throws Exception {
        String id = server.createCapsule();
        server.failNextWithError("POST", ".*/exec", 400, "invalid_request", QUOTED, false);
        assertMasked(assertThrows(
                WrennApiException.class,
                () -> client.commands().run(id, ExecRequest.foreground("true", List.of(), 10))));
    }

    @Test
    void aRefusedStreamQuotingTheKeyBackIsMaskedInTheException() throws Exception {
        String id = server.createCapsule();
        server.failNext("GET", ".*/exec/stream", 400, "text/plain", QUOTED);
        assertMasked(assertThrows(
                WrennApiException.class,
                () -> client.commands().stream(id, "true", List.of(), new CollectingListener())));
    }
}
