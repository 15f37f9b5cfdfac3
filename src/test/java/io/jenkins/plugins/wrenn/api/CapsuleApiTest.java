package io.jenkins.plugins.wrenn.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

@ParameterizedClass(name = "{0} server")
@EnumSource(ServerGeneration.class)
class CapsuleApiTest {

    static final String KEY = "wrn_test_capsules_0123456789";
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
    void getsACapsuleWithItsFields() throws Exception {
        String id = server.createCapsule();
        Capsule capsule = client.capsules().get(id);
        assertEquals(id, capsule.id());
        assertEquals("running", capsule.status());
        assertTrue(capsule.isRunning());
        assertEquals("base", capsule.template());
        assertEquals(512, capsule.memoryMb());
        assertTrue(capsule.createdAt().startsWith("20"), capsule.createdAt());
    }

    @Test
    void createsListsPausesResumesPingsAndDestroys() throws Exception {
        Capsule created = client.capsules().create(new CapsuleSpec("python", 2, 1024, 600));
        assertEquals("python", created.template());
        assertEquals(600, created.timeoutSec());
        assertTrue(server.requests("POST", "/api/v1/capsules").getLast().body().contains("\"memory_mb\":1024"));

        List<Capsule> all = client.capsules().list();
        assertTrue(all.stream().anyMatch(c -> c.id().equals(created.id())));

        // Newer servers answer at once with a transitional status and finish the work later.
        awaitStatus(created.id(), "running");
        client.capsules().pause(created.id());
        awaitStatus(created.id(), "paused");
        assertEquals("paused", server.status(created.id()));
        client.capsules().resume(created.id());
        awaitStatus(created.id(), "running");

        client.capsules().ping(created.id());
        assertEquals(1, server.requests("POST", ".*/" + created.id() + "/ping").size());

        client.capsules().destroy(created.id());
        Await.until(
                () -> {
                    try {
                        return "stopped"
                                .equals(client.capsules().get(created.id()).status());
                    } catch (WrennApiException e) {
                        return e.kind() == WrennApiException.Kind.NOT_FOUND;
                    }
                },
                "the capsule to be destroyed");
    }

    private static void awaitStatus(String id, String status) throws Exception {
        Await.until(() -> status.equals(client.capsules().get(id).status()), "status " + status + " of " + id);
    }

    @Test
    void unknownCapsuleIsNotFoundWithTheServersWords() {
        WrennApiException e =
                assertThrows(WrennApiException.class, () -> client.capsules().get("cl-0000000000000000000000000"));
        assertEquals(WrennApiException.Kind.NOT_FOUND, e.kind());
        assertEquals(404, e.httpStatus());
        assertEquals(generation == ServerGeneration.V0_1_5 ? "not_found" : "sandbox_not_found", e.errorCode());
        assertEquals(
                "sandbox not found", e.serverMessage().toLowerCase(Locale.ROOT).replace(".", ""));
        assertEquals(generation == ServerGeneration.CURRENT, e.requestId() != null, "request id");
        assertEquals("cl-0000000000000000000000000", e.capsuleId());
        assertEquals("get capsule", e.operation());
        assertTrue(e.getMessage().contains("cl-0000000000000000000000000"), e.getMessage());
    }

    @Test
    void malformedIdIsTheServers400NotA404() {
        WrennApiException e =
                assertThrows(WrennApiException.class, () -> client.capsules().get("cap_abc123"));
        assertEquals(WrennApiException.Kind.INVALID_REQUEST, e.kind());
        assertEquals(400, e.httpStatus());
        assertEquals(
                "invalid sandbox id", e.serverMessage().toLowerCase(Locale.ROOT).replace(".", ""));
        assertEquals("cap_abc123", e.capsuleId());
    }

    @Test
    void idsWithSlashOrSpaceAreRefusedBeforeAnyRequest() {
        int before = server.requests().size();
        IllegalArgumentException slash = assertThrows(
                IllegalArgumentException.class, () -> client.capsules().get("cl-a/../b"));
        assertTrue(slash.getMessage().startsWith("capsule id:"), slash.getMessage());
        assertThrows(IllegalArgumentException.class, () -> client.capsules().get("cl a"));
        assertThrows(IllegalArgumentException.class, () -> client.capsules().get(""));
        // Resolved in the request path, they would reach another route of the API.
        for (String dots : new String[] {".", ".."}) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> client.capsules().get(dots));
            assertEquals(
                    "capsule id: must not be . or .. or contain '/' or white space, got '" + dots + "'",
                    e.getMessage());
        }
        assertEquals(before, server.requests().size());
    }

    @Test
    void pausedCapsuleIsNotRunningWithItsStatus() throws Exception {
        String id = server.createCapsule();
        server.setStatus(id, "paused");
        WrennApiException e =
                assertThrows(WrennApiException.class, () -> client.processes().list(id));
        assertEquals(WrennApiException.Kind.NOT_RUNNING, e.kind());
        assertEquals(409, e.httpStatus());
        assertEquals(generation == ServerGeneration.V0_1_5 ? "invalid_state" : "sandbox_not_running", e.errorCode());
        assertEquals("paused", e.capsuleStatus());
    }

    @Test
    void wrongKeyIsAuthenticationFailedAndTheKeyNeverShows() throws Exception {
        String secret = "wrn_wrong_key_must_not_leak_42";
        try (WrennClient wrong = WrennClient.builder(server.baseUrl(), secret).build()) {
            WrennApiException e =
                    assertThrows(WrennApiException.class, () -> wrong.capsules().list());
            assertEquals(WrennApiException.Kind.AUTHENTICATION_FAILED, e.kind());
            assertEquals(401, e.httpStatus());
            assertFalse(e.getMessage().contains(secret));
            assertFalse(e.toString().contains(secret));
            assertFalse(wrong.toString().contains(secret));
        }
        assertFalse(client.toString().contains(KEY));
    }
}
