package io.jenkins.plugins.wrenn.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.CreateFault;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The lifecycle against both server generations; every failure path checks that nothing is left behind. */
@ParameterizedClass(name = "{0} server")
@EnumSource(ServerGeneration.class)
class CapsuleLifecycleTest {

    static final String KEY = "wrn_test_lifecycle_0123456789";
    static final String CAPSULES = "/api/v1/capsules";
    static WrennTestServer server;
    static WrennClient client;

    @Parameter
    ServerGeneration generation;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream log = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private CapsuleLifecycle lifecycle;
    private List<String> before;

    @BeforeParameterizedClassInvocation
    static void start(ServerGeneration serverGeneration) throws Exception {
        server = WrennTestServer.start(KEY, serverGeneration);
        server.setTransitionDelay(Duration.ofMillis(300));
        client = WrennClient.builder(server.baseUrl(), KEY).build();
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        client.close();
        server.close();
    }

    @BeforeEach
    void setUp() {
        lifecycle = new CapsuleLifecycle(client, "wrenn-key", Duration.ofMillis(50), Duration.ofMillis(20), 3);
        before = server.capsulesLeft();
    }

    @AfterEach
    void nothingLeftBehind() throws Exception {
        Await.until(
                () -> before.containsAll(server.capsulesLeft()), "no capsule left behind: " + server.capsulesLeft());
    }

    private String log() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static CapsuleOptions fresh(String template, int waitTimeoutSec, boolean keep) {
        return new CapsuleOptions(template, 2, 2048, 0, waitTimeoutSec, keep, null, false, false);
    }

    private static CapsuleOptions existing(String id, boolean resume, boolean pauseAfter) {
        return new CapsuleOptions(null, 0, 0, 0, 5, false, id, resume, pauseAfter);
    }

    @Test
    void createsWaitsUntilRunningAndDestroysAtTheEnd() throws Exception {
        CapsuleLease lease = lifecycle.acquire(fresh("python-3.12", 10, false), log);
        assertTrue(lease.created());
        assertEquals("running", server.status(lease.capsuleId()));
        String body = server.requests("POST", CAPSULES).getLast().body();
        assertTrue(body.contains("\"template\":\"python-3.12\""), body);
        assertTrue(body.contains("\"vcpus\":2") && body.contains("\"memory_mb\":2048"), body);
        assertTrue(log().contains("[wrenn] Creating a capsule (template python-3.12, 2 vCPUs, 2048 MiB)"), log());
        assertTrue(log().contains("[wrenn] Capsule " + lease.capsuleId() + " is running (after "), log());
        if (generation == ServerGeneration.CURRENT) {
            assertTrue(log().contains("Created capsule " + lease.capsuleId() + " (status: starting)"), log());
        }

        assertTrue(lifecycle.release(lease, log), "the capsule is gone");
        assertTrue(log().contains("[wrenn] Destroyed capsule " + lease.capsuleId()), log());
        assertFalse(
                server.requests("DELETE", CAPSULES + "/" + lease.capsuleId()).isEmpty());
    }

    @Test
    void theCapsuleIsKnownAsSoonAsItExistsBeforeItRuns() throws Exception {
        List<String> known = new ArrayList<>();
        CapsuleLease lease = lifecycle.acquire(
                fresh("base", 10, false), log, l -> known.add(l.capsuleId() + " " + server.status(l.capsuleId())));
        assertEquals(1, known.size(), known.toString());
        assertTrue(known.getFirst().startsWith(lease.capsuleId() + " "), known.toString());
        if (generation == ServerGeneration.CURRENT) {
            // Told before the wait: a caller cut off during it can still give the capsule back.
            assertEquals(lease.capsuleId() + " starting", known.getFirst());
        }
        assertTrue(lifecycle.release(lease, log));
    }

    @Test
    void keepLeavesTheCapsuleRunningAndNamesIt() throws Exception {
        CapsuleLease lease = lifecycle.acquire(fresh(null, 10, true), log);
        assertFalse(lifecycle.release(lease, log));
        assertTrue(server.requests("DELETE", CAPSULES + "/" + lease.capsuleId()).isEmpty());
        assertEquals("running", server.status(lease.capsuleId()));
        assertTrue(log().contains("Keeping capsule " + lease.capsuleId() + " (keep: true)"), log());
        // Not this test's leftover: the user asked to keep it.
        before = List.of(lease.capsuleId());
        client.capsules().destroy(lease.capsuleId());
    }

    @Test
    void unknownTemplateSaysSo() {
        server.failNextWithError("POST", CAPSULES, 404, "template_not_found", "Template not found.", false);
        CapsuleFailure f = assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(fresh("nope", 10, false), log));
        assertTrue(
                f.getMessage().startsWith("Template not found: the Wrenn server has no template nope"), f.getMessage());
        assertRequestIdShownOnCurrent(f);
    }

    @Test
    void quotaAndCapacityRefusalsSayWhatToDo() {
        server.failNextWithError("POST", CAPSULES, 403, "forbidden", "Capsule limit reached.", false);
        CapsuleFailure quota =
                assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(fresh("base", 10, false), log));
        assertTrue(
                quota.getMessage().contains("did not let credentials wrenn-key create a capsule"), quota.getMessage());
        assertTrue(quota.getMessage().contains("(HTTP 403 forbidden: Capsule limit reached)."), quota.getMessage());
        assertTrue(quota.getMessage().contains("quota"), quota.getMessage());

        server.failNextWithError("POST", CAPSULES, 429, "rate_limited", "Too many requests.", true);
        CapsuleFailure rate =
                assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(fresh("base", 10, false), log));
        assertTrue(rate.getMessage().contains("limiting the rate of requests"), rate.getMessage());

        server.failNextWithError("POST", CAPSULES, 503, "capacity_unavailable", "No capacity.", true);
        CapsuleFailure capacity =
                assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(fresh("base", 10, false), log));
        assertTrue(capacity.getMessage().startsWith("The Wrenn service has no capacity"), capacity.getMessage());
        assertTrue(
                capacity.getMessage().contains("HTTP 503 capacity_unavailable: No capacity)."), capacity.getMessage());

        server.failNextWithError("POST", CAPSULES, 400, "invalid_request", "vcpus must be at most 8.", false);
        CapsuleFailure invalid =
                assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(fresh("base", 10, false), log));
        assertTrue(
                invalid.getMessage().contains("refused to create a capsule with template base, 2 vCPUs"),
                invalid.getMessage());
        assertTrue(invalid.getMessage().contains("vcpus must be at most 8. Check the template"), invalid.getMessage());
    }

    @Test
    void theServersSentenceIsQuotedWithoutADoubledFullStopAndTheRefusedFieldIsNamed() {
        server.failNextWithError("POST", CAPSULES, 400, "invalid_request", "invalid name \"../evil\".", false);
        CapsuleFailure name =
                assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(fresh("../evil", 10, false), log));
        assertTrue(name.getMessage().contains("invalid name \"../evil\". Check the template"), name.getMessage());
        assertFalse(name.getMessage().contains("\".. Check"), name.getMessage());

        // The newest server's validation_failed says which field in details.field.
        server.failNext(
                "POST",
                CAPSULES,
                400,
                "application/json",
                "{\"error\":{\"code\":\"validation_failed\",\"message\":\"One or more fields are invalid.\","
                        + "\"details\":{\"field\":\"memory_mb\"}}}");
        CapsuleFailure field =
                assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(fresh("base", 10, false), log));
        assertTrue(
                field.getMessage()
                        .contains(
                                "HTTP 400 validation_failed: One or more fields are invalid (field memory_mb). Check"),
                field.getMessage());
    }

    @Test
    void aCapsuleThatNeverRunsIsDestroyedAfterTheWait() {
        server.failNextCreate(CreateFault.NEVER_RUNNING);
        long started = System.nanoTime();
        CapsuleFailure f = assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(fresh("base", 1, false), log));
        assertTrue(System.nanoTime() - started < 5_000_000_000L, "the wait is bounded");
        assertTrue(
                f.getMessage().matches("Capsule cl-\\S+ was not running within 1 s \\(status: starting\\)\\..*"),
                f.getMessage());
        assertTrue(log().contains("[wrenn] Destroyed capsule"), log());
    }

    @Test
    void aCapsuleThatEndsInErrorIsDestroyed() {
        server.failNextCreate(CreateFault.ENDS_IN_ERROR);
        CapsuleFailure f = assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(fresh("base", 10, false), log));
        assertTrue(f.getMessage().contains("ended in status error"), f.getMessage());
        assertTrue(log().contains("[wrenn] Destroyed capsule"), log());
    }

    @Test
    void anAbortDuringTheWaitDestroysTheCapsule() throws Exception {
        server.failNextCreate(CreateFault.NEVER_RUNNING);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                lifecycle.acquire(fresh("base", 60, false), log);
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.start();
        Await.until(() -> log().contains("Created capsule"), "the capsule is created");
        t.interrupt();
        t.join(10_000);
        assertTrue(thrown.get() instanceof InterruptedException, String.valueOf(thrown.get()));
        assertTrue(log().contains("[wrenn] Destroyed capsule"), log());
    }

    @Test
    void aFailedDestroyIsRetried() throws Exception {
        CapsuleLease lease = lifecycle.acquire(fresh("base", 10, false), log);
        String path = CAPSULES + "/" + lease.capsuleId();
        server.failNextWithError("DELETE", path, 503, "service_unavailable", "Try later.", true);
        lifecycle.release(lease, log);
        assertEquals(2, server.requests("DELETE", path).size());
        assertTrue(log().contains("Could not destroy capsule " + lease.capsuleId()), log());
        assertTrue(log().contains("[wrenn] Destroyed capsule " + lease.capsuleId()), log());
    }

    @Test
    void aDestroyThatKeepsFailingIsReportedWithWhatToDo() throws Exception {
        CapsuleLease lease = lifecycle.acquire(fresh("base", 10, false), log);
        String path = CAPSULES + "/" + lease.capsuleId();
        for (int i = 0; i < 3; i++) {
            server.failNext("DELETE", path, 502, "text/html", "<html>Bad gateway</html>");
        }
        CapsuleFailure f = assertThrows(CapsuleFailure.class, () -> lifecycle.release(lease, log));
        assertTrue(
                f.getMessage().startsWith("Could not destroy capsule " + lease.capsuleId() + " after 3 attempts"),
                f.getMessage());
        assertTrue(f.getMessage().contains("DELETE " + server.baseUrl() + path.substring(4)), f.getMessage());
        // The build reported it; the test cleans up.
        client.capsules().destroy(lease.capsuleId());
    }

    @Test
    void anExistingPausedCapsuleIsResumedAndPausedAgain() throws Exception {
        String id = server.createCapsule();
        server.setStatus(id, "paused");
        CapsuleLease lease = lifecycle.acquire(existing(id, true, true), log);
        assertFalse(lease.created());
        assertEquals("running", server.status(id));
        assertTrue(log().contains("Using capsule " + id + " (status: paused)"), log());
        assertTrue(log().contains("Capsule " + id + " is running (after "), log());

        lifecycle.release(lease, log);
        Await.until(() -> "paused".equals(server.status(id)), "paused again");
        assertTrue(server.requests("DELETE", CAPSULES + "/" + id).isEmpty(), "an existing capsule is never destroyed");
        before = List.of(id);
        server.setStatus(id, "stopped");
    }

    @Test
    void anExistingPausedCapsuleIsNotResumedUnlessAsked() {
        String id = server.createCapsule();
        server.setStatus(id, "paused");
        CapsuleFailure f = assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(existing(id, false, false), log));
        assertEquals(
                "Capsule " + id + " is paused: resume it first, or use resume: true to let the build resume it.",
                f.getMessage());
        assertTrue(server.requests("POST", CAPSULES + "/" + id + "/resume").isEmpty());
        server.setStatus(id, "stopped");
    }

    @Test
    void anExistingRunningCapsuleIsLeftAsItIs() throws Exception {
        String id = server.createCapsule();
        CapsuleLease lease = lifecycle.acquire(existing(id, false, false), log);
        assertFalse(lifecycle.release(lease, log));
        assertEquals("running", server.status(id));
        assertTrue(server.requests("DELETE", CAPSULES + "/" + id).isEmpty());
        server.setStatus(id, "stopped");
    }

    @Test
    void anUnknownExistingCapsuleReadsLikeTheExecFailure() {
        String id = "cl-0000000000000000000000000";
        CapsuleFailure f = assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(existing(id, true, false), log));
        assertTrue(f.getMessage().startsWith("Capsule not found: " + id), f.getMessage());
    }

    @Test
    void optionsThatCannotGoTogetherAreRefusedBeforeAnyCall() {
        int calls = server.requests().size();
        CapsuleOptions both = new CapsuleOptions("python", 0, 0, 0, 0, false, "cl-x", false, false);
        CapsuleFailure f = assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(both, log));
        assertTrue(f.getMessage().startsWith("capsule names an existing capsule"), f.getMessage());
        CapsuleOptions resumeFresh = new CapsuleOptions("python", 0, 0, 0, 0, false, null, true, false);
        assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(resumeFresh, log));
        assertEquals(calls, server.requests().size());
        assertNull(fresh("base", 0, false).problem());
        assertEquals(CapsuleOptions.DEFAULT_WAIT, fresh("base", 0, false).waitTimeout());
    }

    private void assertRequestIdShownOnCurrent(CapsuleFailure f) {
        assertEquals(
                generation == ServerGeneration.CURRENT,
                f.getMessage().contains("(Wrenn request id req_"),
                f.getMessage());
    }
}
