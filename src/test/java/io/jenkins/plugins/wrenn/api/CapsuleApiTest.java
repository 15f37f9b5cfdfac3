package io.jenkins.plugins.wrenn.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CapsuleApiTest {

    static final String KEY = "wrn_test_capsules_0123456789";
    static WrennTestServer server;
    static WrennClient client;

    @BeforeAll
    static void start() throws Exception {
        server = WrennTestServer.start(KEY);
        client = WrennClient.builder(server.baseUrl(), KEY).build();
    }

    @AfterAll
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

        assertEquals("paused", client.capsules().pause(created.id()).status());
        assertEquals("paused", server.status(created.id()));
        assertEquals("running", client.capsules().resume(created.id()).status());

        client.capsules().ping(created.id());
        assertEquals(1, server.requests("POST", ".*/" + created.id() + "/ping").size());

        client.capsules().destroy(created.id());
        WrennApiException gone = assertThrows(WrennApiException.class, () -> client.capsules().get(created.id()));
        assertEquals(WrennApiException.Kind.NOT_FOUND, gone.kind());
    }

    @Test
    void unknownCapsuleIsNotFoundWithTheServersWords() {
        WrennApiException e = assertThrows(
                WrennApiException.class, () -> client.capsules().get("cl-0000000000000000000000000"));
        assertEquals(WrennApiException.Kind.NOT_FOUND, e.kind());
        assertEquals(404, e.httpStatus());
        assertEquals("not_found", e.errorCode());
        assertEquals("sandbox not found", e.serverMessage());
        assertEquals("cl-0000000000000000000000000", e.capsuleId());
        assertEquals("get capsule", e.operation());
        assertTrue(e.getMessage().contains("cl-0000000000000000000000000"), e.getMessage());
    }

    @Test
    void malformedIdIsTheServers400NotA404() {
        WrennApiException e = assertThrows(WrennApiException.class, () -> client.capsules().get("cap_abc123"));
        assertEquals(WrennApiException.Kind.INVALID_REQUEST, e.kind());
        assertEquals(400, e.httpStatus());
        assertEquals("invalid sandbox ID", e.serverMessage());
        assertEquals("cap_abc123", e.capsuleId());
    }

    @Test
    void idsWithSlashOrSpaceAreRefusedBeforeAnyRequest() {
        int before = server.requests().size();
        IllegalArgumentException slash =
                assertThrows(IllegalArgumentException.class, () -> client.capsules().get("cl-a/../b"));
        assertTrue(slash.getMessage().startsWith("capsule id:"), slash.getMessage());
        assertThrows(IllegalArgumentException.class, () -> client.capsules().get("cl a"));
        assertThrows(IllegalArgumentException.class, () -> client.capsules().get(""));
        assertEquals(before, server.requests().size());
    }

    @Test
    void pausedCapsuleIsNotRunningWithItsStatus() throws Exception {
        String id = server.createCapsule();
        server.setStatus(id, "paused");
        WrennApiException e = assertThrows(WrennApiException.class, () -> client.processes().list(id));
        assertEquals(WrennApiException.Kind.NOT_RUNNING, e.kind());
        assertEquals(409, e.httpStatus());
        assertEquals("invalid_state", e.errorCode());
        assertEquals("paused", e.capsuleStatus());
    }

    @Test
    void wrongKeyIsAuthenticationFailedAndTheKeyNeverShows() throws Exception {
        String secret = "wrn_wrong_key_must_not_leak_42";
        try (WrennClient wrong = WrennClient.builder(server.baseUrl(), secret).build()) {
            WrennApiException e = assertThrows(WrennApiException.class, () -> wrong.capsules().list());
            assertEquals(WrennApiException.Kind.AUTHENTICATION_FAILED, e.kind());
            assertEquals(401, e.httpStatus());
            assertFalse(e.getMessage().contains(secret));
            assertFalse(e.toString().contains(secret));
            assertFalse(wrong.toString().contains(secret));
        }
        assertFalse(client.toString().contains(KEY));
    }
}
