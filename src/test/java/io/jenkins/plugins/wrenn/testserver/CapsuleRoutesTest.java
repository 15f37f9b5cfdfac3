package io.jenkins.plugins.wrenn.testserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The capsule routes keep to the real control plane where the plugin's tests do not look directly. */
class CapsuleRoutesTest {

    static final String KEY = "wrn_test_capsule_routes_01";

    WrennTestServer server;
    final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void start() throws Exception {
        server = WrennTestServer.start(KEY, ServerGeneration.CURRENT);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        http.close();
    }

    HttpResponse<String> call(String method, String path, String body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .header("X-API-Key", KEY)
                .header("Content-Type", "application/json");
        r.method(
                method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void thePlansConcurrencyLimitCountsCapsulesThatRunAndNotPausedOnes() throws Exception {
        server.capsuleRoutes().setPlanLimits(1, 0, 0);
        String running = server.createCapsule();
        HttpResponse<String> refused = call("POST", "/v1/capsules", "{}");
        assertEquals(402, refused.statusCode());
        JsonNode error = WrennTestServer.JSON.readTree(refused.body()).path("error");
        assertEquals("concurrent_sandbox_limit", error.path("code").asText());
        assertEquals("plan allows 1 concurrent sandboxes", error.path("message").asText());

        server.setStatus(running, "paused");
        assertEquals(202, call("POST", "/v1/capsules", "{}").statusCode(), "a paused capsule holds no slot");
    }

    @Test
    void longRangesAverageTheSamplesSoPeaksFlatten() throws Exception {
        String id = server.createCapsule();
        server.capsuleRoutes().addSample(id, 100, 1, 1);
        server.capsuleRoutes().addSample(id, 0, 1, 1);
        JsonNode fine = WrennTestServer.JSON.readTree(
                call("GET", "/v1/capsules/" + id + "/metrics?range=5m", null).body());
        double finePeak = 0;
        for (JsonNode p : fine.path("points")) {
            finePeak = Math.max(finePeak, p.path("cpu_pct").asDouble());
        }
        assertEquals(100, finePeak, 1e-9);
        JsonNode coarse = WrennTestServer.JSON.readTree(
                call("GET", "/v1/capsules/" + id + "/metrics?range=1h", null).body());
        for (JsonNode p : coarse.path("points")) {
            assertTrue(p.path("cpu_pct").asDouble() < 100, "30 s averages: " + coarse);
        }
    }

    @Test
    void aPausedCapsuleKeepsItsSamplesAndAStoppedOneHasNone() throws Exception {
        String id = server.createCapsule();
        server.capsuleRoutes().addSample(id, 42, 1, 1);
        server.setStatus(id, "paused");
        HttpResponse<String> paused = call("GET", "/v1/capsules/" + id + "/metrics?range=5m", null);
        assertEquals(200, paused.statusCode());
        assertTrue(paused.body().contains("\"cpu_pct\":42.0"), paused.body());
        server.setStatus(id, "stopped");
        assertEquals(
                404,
                call("GET", "/v1/capsules/" + id + "/metrics?range=5m", null).statusCode());
    }

    @Test
    void theListLeavesOutStoppedAndBrokenCapsulesAndShowsLabels() throws Exception {
        String labelled = server.capsuleRoutes().createWithMetadata(Map.of("team", "infra"));
        String broken = server.createCapsule();
        server.setStatus(broken, "error");
        JsonNode list =
                WrennTestServer.JSON.readTree(call("GET", "/v1/capsules", null).body());
        assertEquals(1, list.size(), list.toString());
        assertEquals(labelled, list.get(0).path("id").asText());
        assertEquals("infra", list.get(0).path("metadata").path("team").asText());
        assertEquals(
                "6.1.102", list.get(0).path("metadata").path("kernel_version").asText());
    }
}
