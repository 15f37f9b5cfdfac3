package io.jenkins.plugins.wrenn.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * A process selector (a pid or a tag, as wrennKill takes it) is one segment of a request path:
 * {@code .} and {@code ..} would name another resource once the path is normalised, as Jetty, many
 * proxies and CDNs do. {@code DELETE .../processes/..} is {@code DELETE} of the capsule itself.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class ProcessSelectorTest {

    static final String KEY = "wrn_selector_key_51d0";

    @Test
    void aDotDotTagIsRefusedBeforeAnyRequestAndTheCapsuleStays() throws Exception {
        try (WrennTestServer server = WrennTestServer.start(KEY);
                WrennClient client = WrennClient.builder(server.baseUrl(), KEY)
                        .requestTimeout(Duration.ofSeconds(5))
                        .build()) {
            String id = server.createCapsule();
            for (String selector : new String[] {"..", "."}) {
                IllegalArgumentException e = assertThrows(
                        IllegalArgumentException.class, () -> client.processes().kill(id, selector, Signal.SIGTERM));
                assertTrue(e.getMessage().contains("'" + selector + "'"), e.getMessage());
                assertThrows(
                        IllegalArgumentException.class,
                        () -> client.processes().attach(id, selector, new CollectingListener()));
            }
            assertEquals("running", client.capsules().get(id).status());
            assertEquals(0, server.requests("DELETE", ".*").size());
        }
    }
}
