package io.jenkins.plugins.wrenn.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The Test connection buttons answer in the build log's words. */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
@ParameterizedClass(name = "{0} server")
@EnumSource(ServerGeneration.class)
class ConnectionCheckTest {

    static final String KEY = "wrn_check_key_7e21a";
    static WrennTestServer server;
    static WrennClient client;

    /** Which generation of the real server the test server speaks in this run. */
    @Parameter
    ServerGeneration generation;

    @BeforeParameterizedClassInvocation
    static void start(ServerGeneration generation) throws Exception {
        server = WrennTestServer.start(KEY, generation);
        client = WrennClient.builder(server.baseUrl(), KEY).build();
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        client.close();
        server.close();
    }

    /** Each answer of the newer server has a request id of its own. */
    static String withoutRequestId(String message) {
        return message.replaceAll(" \\(Wrenn request id .*", "");
    }

    static WrennClient withoutApiPart(String key) {
        return WrennClient.builder(URI.create(server.baseUrl().toString().replaceFirst("/api$", "")), key)
                .build();
    }

    @Test
    void aRunningCapsuleIsOk() throws Exception {
        String id = server.createCapsule();
        ConnectionCheck.Result r = ConnectionCheck.capsule(client, id, "wrenn-key");
        assertEquals(ConnectionCheck.Verdict.OK, r.verdict());
        assertEquals("Connected: capsule " + id + " is running.", r.message());
    }

    @Test
    void aPausedCapsuleIsWordedAsTheBuildLogWordsIt() throws Exception {
        String id = server.createCapsule();
        server.setStatus(id, "paused");
        ConnectionCheck.Result r = ConnectionCheck.capsule(client, id, "wrenn-key");
        assertEquals(ConnectionCheck.Verdict.WARNING, r.verdict());
        assertEquals("Capsule " + id + " is not running (status: paused) - start or resume it first.", r.message());
        // The build's own capsule check, which writes the log's line.
        assertEquals(
                r.message(),
                assertThrows(ExecutionFailure.class, () -> ApiFailures.checkRunning(client, id, "wrenn-key"))
                        .getMessage());
    }

    @Test
    void aMissingCapsuleIsNamed() throws Exception {
        ConnectionCheck.Result r = ConnectionCheck.capsule(client, "cl-0000000000000000000000000", "wrenn-key");
        assertEquals(ConnectionCheck.Verdict.ERROR, r.verdict());
        assertTrue(r.message().startsWith("Capsule not found: cl-0000000000000000000000000"), r.message());
    }

    @Test
    void aBaseUrlWithoutItsApiPartIsToldApartFromAMissingCapsule() throws Exception {
        String id = server.createCapsule();
        try (WrennClient wrongUrl = withoutApiPart(KEY)) {
            ConnectionCheck.Result step = ConnectionCheck.capsule(wrongUrl, id, "wrenn-key");
            assertEquals(ConnectionCheck.Verdict.ERROR, step.verdict());
            assertTrue(
                    step.message().contains("the API URL is probably wrong (it usually ends in /api)"), step.message());
            assertTrue(step.message().contains(wrongUrl.baseUrl().toString()), step.message());
            assertFalse(step.message().contains("Capsule not found"), step.message());
            ConnectionCheck.Result system = ConnectionCheck.api(wrongUrl, "wrenn-key");
            assertEquals(withoutRequestId(step.message()), withoutRequestId(system.message()));
            // A build says the same.
            assertEquals(
                    withoutRequestId(step.message()),
                    withoutRequestId(assertThrows(
                                    ExecutionFailure.class, () -> ApiFailures.checkRunning(wrongUrl, id, "wrenn-key"))
                            .getMessage()));
        }
    }

    @Test
    void theSystemSectionsCheckNeedsNoCapsule() throws Exception {
        int before = server.requests().size();
        ConnectionCheck.Result ok = ConnectionCheck.api(client, "wrenn-key");
        assertEquals(ConnectionCheck.Verdict.OK, ok.verdict());
        assertEquals(
                "Connected: the Wrenn API at " + server.baseUrl() + " accepted the key in credentials wrenn-key.",
                ok.message());
        assertEquals(before + 1, server.requests().size(), "one call");
        try (WrennClient wrongKey =
                WrennClient.builder(server.baseUrl(), "wrn_not_the_key").build()) {
            ConnectionCheck.Result refused = ConnectionCheck.api(wrongKey, "wrenn-key");
            assertEquals(ConnectionCheck.Verdict.ERROR, refused.verdict());
            assertTrue(
                    refused.message().startsWith("Authentication failed for credentials wrenn-key"), refused.message());
        }
    }
}
