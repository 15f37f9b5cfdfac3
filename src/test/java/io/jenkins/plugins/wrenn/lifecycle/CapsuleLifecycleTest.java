package io.jenkins.plugins.wrenn.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.CreateFault;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import io.jenkins.plugins.wrenn.usage.CapsuleUsage;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

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

    private static CapsuleOptions fresh(String template, int waitTimeoutSec, KeepPolicy keep) {
        return new CapsuleOptions(template, 2, 2048, 0, waitTimeoutSec, keep, null, false, false);
    }

    private static CapsuleOptions existing(String id, boolean resume, boolean pauseAfter) {
        return new CapsuleOptions(null, 0, 0, 0, 5, KeepPolicy.NEVER, id, resume, pauseAfter);
    }

    @Test
    void createsWaitsUntilRunningAndDestroysAtTheEnd() throws Exception {
        CapsuleLease lease = lifecycle.acquire(fresh("python-3.12", 10, KeepPolicy.NEVER), log);
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

        assertTrue(lifecycle.release(lease, log).gone(), "the capsule is gone");
        assertTrue(log().contains("[wrenn] Destroyed capsule " + lease.capsuleId()), log());
        assertFalse(
                server.requests("DELETE", CAPSULES + "/" + lease.capsuleId()).isEmpty());
    }

    @Test
    void theCapsuleIsKnownAsSoonAsItExistsBeforeItRuns() throws Exception {
        List<String> known = new ArrayList<>();
        // A newer server's capsule stays starting until the caller has been told of it: told only
        // after the wait, the capsule would never run and the acquire would fail.
        server.holdTransitions();
        CapsuleLease lease;
        try {
            lease = lifecycle.acquire(fresh("base", 10, KeepPolicy.NEVER), CapsuleRecords.NONE, log, l -> {
                known.add(l.capsuleId() + " " + server.status(l.capsuleId()));
                server.releaseTransitions();
            });
        } finally {
            server.releaseTransitions();
        }
        assertEquals(1, known.size(), known.toString());
        assertTrue(known.getFirst().startsWith(lease.capsuleId() + " "), known.toString());
        if (generation == ServerGeneration.CURRENT) {
            // Told before the wait: a caller cut off during it can still give the capsule back.
            assertEquals(lease.capsuleId() + " starting", known.getFirst());
        }
        assertTrue(lifecycle.release(lease, log).gone());
    }

    @Test
    void keepAlwaysPausesTheCapsuleAndSaysHowToResumeIt() throws Exception {
        CapsuleLease lease = lifecycle.acquire(fresh(null, 10, KeepPolicy.ALWAYS), log);
        Released released = lifecycle.release(lease, log);
        assertFalse(released.gone());
        assertTrue(released.kept());
        assertEquals("paused", released.status(), "paused, so that it costs no CPU while it waits");
        assertEquals("paused", server.status(lease.capsuleId()));
        assertTrue(server.requests("DELETE", CAPSULES + "/" + lease.capsuleId()).isEmpty());
        assertTrue(
                log().contains("Keeping capsule " + lease.capsuleId() + " (keep: always), status paused: resume it with"
                        + " wrennCapsule(capsule: '" + lease.capsuleId() + "', resume: true)"),
                log());
        // Not this test's leftover: the user asked to keep it.
        before = List.of(lease.capsuleId());
        client.capsules().destroy(lease.capsuleId());
    }

    @Test
    void keepOnFailureKeepsOnlyTheCapsuleOfABodyThatFailed() throws Exception {
        CapsuleLease passed = lifecycle.acquire(fresh(null, 10, KeepPolicy.ON_FAILURE), log);
        assertTrue(lifecycle.release(passed, false, CapsuleRecords.NONE, log).gone());

        CapsuleLease failed = lifecycle.acquire(fresh(null, 10, KeepPolicy.ON_FAILURE), log);
        Released released = lifecycle.release(failed, true, CapsuleRecords.NONE, log);
        assertTrue(released.kept());
        assertEquals("paused", server.status(failed.capsuleId()));
        assertTrue(log().contains("(keep: onFailure, and the build failed)"), log());
        before = List.of(failed.capsuleId());
        client.capsules().destroy(failed.capsuleId());
    }

    @Test
    void keepTakesItsWordsAndTheOldBooleans() {
        assertEquals(KeepPolicy.NEVER, KeepPolicy.parse(null));
        assertEquals(KeepPolicy.NEVER, KeepPolicy.parse("false"));
        assertEquals(KeepPolicy.ALWAYS, KeepPolicy.parse("true"));
        assertEquals(KeepPolicy.ON_FAILURE, KeepPolicy.parse("onFailure"));
        assertEquals(KeepPolicy.ON_FAILURE, KeepPolicy.parse("ON_FAILURE"));
        assertEquals(KeepPolicy.ALWAYS, KeepPolicy.parse(" Always "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeepPolicy.parse("sometimes"));
        assertEquals(
                "keep must be never, onFailure or always (true and false still work), not \"sometimes\".",
                e.getMessage());
    }

    @Test
    void whatTheCapsuleCostIsReadBeforeItIsGivenBack() throws Exception {
        CapsuleLease lease = lifecycle.acquire(fresh("base", 10, KeepPolicy.NEVER), log);
        server.capsuleRoutes().addSample(lease.capsuleId(), 73.0, 700L << 20, 12L << 20);
        Thread.sleep(1100);
        Released released = lifecycle.release(lease, log);
        CapsuleUsage usage = released.usage();
        assertTrue(usage.metricsRead(), String.valueOf(usage.metricsProblem()));
        assertEquals(2, usage.vcpus());
        assertEquals(2048, usage.memoryMb());
        assertTrue(usage.held().toMillis() >= 1000, usage.held().toString());
        assertEquals(usage.held().toMillis() * 2 / 1000.0, usage.vcpuSeconds(), 1e-9);
        assertTrue(usage.peakCpuPct() >= 73.0, "the peak: " + usage.peakCpuPct());
        assertTrue(usage.peakMemBytes() >= 700L << 20);
        assertTrue(log().contains("[wrenn] Capsule " + lease.capsuleId() + " used "), log());
        int metricsRead = server.requests("GET", CAPSULES + "/" + lease.capsuleId() + "/metrics")
                .size();
        assertEquals(1, metricsRead, "one read, before the destroy");
        assertTrue(
                log().indexOf("used ") < log().indexOf("Destroyed capsule " + lease.capsuleId()),
                "read before the capsule is gone: " + log());
    }

    @Test
    void metricsThatCannotBeReadAreSaidNotShownAsZeros() throws Exception {
        CapsuleLease lease = lifecycle.acquire(fresh("base", 10, KeepPolicy.NEVER), log);
        server.failNextWithError(
                "GET", CAPSULES + "/" + lease.capsuleId() + "/metrics", 502, "host_unreachable", "Host down.", true);
        server.failNextWithError(
                "GET", CAPSULES + "/" + lease.capsuleId() + "/metrics", 502, "host_unreachable", "Host down.", true);
        server.failNextWithError(
                "GET", CAPSULES + "/" + lease.capsuleId() + "/metrics", 502, "host_unreachable", "Host down.", true);
        Released released = lifecycle.release(lease, log);
        assertTrue(released.gone());
        assertFalse(released.usage().metricsRead());
        assertTrue(log().contains("its metrics could not be read (HTTP 502: Host down.)"), log());
    }

    @Test
    void unknownTemplateSaysSo() {
        server.failNextWithError("POST", CAPSULES, 404, "template_not_found", "Template not found.", false);
        CapsuleFailure f =
                assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(fresh("nope", 10, KeepPolicy.NEVER), log));
        assertTrue(
                f.getMessage().startsWith("Template not found: the Wrenn server has no template nope"), f.getMessage());
        assertRequestIdShownOnCurrent(f);
    }

    @Test
    void quotaAndCapacityRefusalsSayWhatToDo() {
        server.failNextWithError("POST", CAPSULES, 403, "forbidden", "Capsule limit reached.", false);
        CapsuleFailure quota =
                assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(fresh("base", 10, KeepPolicy.NEVER), log));
        assertTrue(
                quota.getMessage().contains("did not let credentials wrenn-key create a capsule"), quota.getMessage());
        assertTrue(quota.getMessage().contains("(HTTP 403 forbidden: Capsule limit reached)."), quota.getMessage());
        assertTrue(quota.getMessage().contains("quota"), quota.getMessage());

        server.failNextWithError("POST", CAPSULES, 429, "rate_limited", "Too many requests.", true);
        CapsuleFailure rate =
                assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(fresh("base", 10, KeepPolicy.NEVER), log));
        assertTrue(rate.getMessage().contains("limiting the rate of requests"), rate.getMessage());

        server.failNextWithError("POST", CAPSULES, 400, "invalid_request", "vcpus must be at most 8.", false);
        CapsuleFailure invalid =
                assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(fresh("base", 10, KeepPolicy.NEVER), log));
        assertTrue(
                invalid.getMessage().contains("refused to create a capsule with template base, 2 vCPUs"),
                invalid.getMessage());
        assertTrue(invalid.getMessage().contains("vcpus must be at most 8. Check the template"), invalid.getMessage());
    }

    @Test
    void theServersSentenceIsQuotedWithoutADoubledFullStopAndTheRefusedFieldIsNamed() {
        server.failNextWithError("POST", CAPSULES, 400, "invalid_request", "invalid name \"../evil\".", false);
        CapsuleFailure name = assertThrows(
                CapsuleFailure.class, () -> lifecycle.acquire(fresh("../evil", 10, KeepPolicy.NEVER), log));
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
                assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(fresh("base", 10, KeepPolicy.NEVER), log));
        assertTrue(
                field.getMessage()
                        .contains(
                                "HTTP 400 validation_failed: One or more fields are invalid (field memory_mb). Check"),
                field.getMessage());
    }

    @Test
    void noCapacityAndPlanLimitsAreWaitedOutAndTheCreateThenSucceeds() throws Exception {
        int creates = server.requests("POST", CAPSULES).size();
        server.failNextWithError("POST", CAPSULES, 503, "capacity_unavailable", "No capacity.", true);
        server.failNextWithError(
                "POST", CAPSULES, 402, "concurrent_sandbox_limit", "plan allows 2 concurrent sandboxes", false);
        CapsuleLease lease = lifecycle.acquire(fresh("base", 10, KeepPolicy.NEVER), log);
        assertEquals(3, server.requests("POST", CAPSULES).size() - creates, "two refusals, then the capsule");
        assertTrue(
                log().contains("No capsule yet: the Wrenn service has no capacity for it now (HTTP 503"
                        + " capacity_unavailable: No capacity). Trying again for up to 10 s."),
                log());
        assertTrue(
                log().contains("No capsule yet: the team's Wrenn plan allows no more capsules at once (HTTP 402"
                        + " concurrent_sandbox_limit: plan allows 2 concurrent sandboxes)."),
                log());
        assertTrue(lifecycle.release(lease, log).gone());
    }

    @Test
    void aPlanLimitThatStaysFailsAtTheWaitTimeoutNamingIt() {
        assumeTrue(generation == ServerGeneration.CURRENT, "only the hosted service has plan limits");
        server.capsuleRoutes().setPlanLimits(0, 1, 0);
        try {
            long started = System.nanoTime();
            CapsuleFailure f = assertThrows(
                    CapsuleFailure.class, () -> lifecycle.acquire(fresh("base", 1, KeepPolicy.NEVER), log));
            assertTrue(System.nanoTime() - started < 5_000_000_000L, "bounded by the wait timeout");
            assertTrue(
                    f.getMessage()
                            .startsWith("No capsule within 1 s: the team's Wrenn plan allows no more vCPUs in use (HTTP"
                                    + " 402 vcpu_limit: plan allows 1 vCPUs in use)."),
                    f.getMessage());
            assertTrue(f.getMessage().contains("raise waitTimeout"), f.getMessage());
        } finally {
            server.capsuleRoutes().setPlanLimits(0, 0, 0);
        }
    }

    @Test
    void aCapsuleThatNeverRunsIsDestroyedAfterTheWait() {
        server.failNextCreate(CreateFault.NEVER_RUNNING);
        long started = System.nanoTime();
        CapsuleFailure f =
                assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(fresh("base", 1, KeepPolicy.NEVER), log));
        assertTrue(System.nanoTime() - started < 5_000_000_000L, "the wait is bounded");
        assertTrue(
                f.getMessage().matches("Capsule cl-\\S+ was not running within 1 s \\(status: starting\\)\\..*"),
                f.getMessage());
        assertTrue(log().contains("[wrenn] Destroyed capsule"), log());
    }

    @Test
    void aCapsuleThatEndsInErrorIsDestroyed() {
        server.failNextCreate(CreateFault.ENDS_IN_ERROR);
        CapsuleFailure f =
                assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(fresh("base", 10, KeepPolicy.NEVER), log));
        assertTrue(f.getMessage().contains("ended in status error"), f.getMessage());
        assertTrue(log().contains("[wrenn] Destroyed capsule"), log());
    }

    @Test
    void anAbortDuringTheWaitDestroysTheCapsule() throws Exception {
        server.failNextCreate(CreateFault.NEVER_RUNNING);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                lifecycle.acquire(fresh("base", 60, KeepPolicy.NEVER), log);
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
    void anAbortDuringTheCreateCallStillDestroysTheCapsuleItMade() throws Exception {
        // The server takes its time: the create is on its way when the build is stopped.
        server.delayNext("POST", CAPSULES, Duration.ofMillis(1500));
        int creates = server.requests("POST", CAPSULES).size();
        int deletesBefore = server.requests("DELETE", CAPSULES + "/cl-.*").size();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                lifecycle.acquire(fresh("base", 60, KeepPolicy.NEVER), log);
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.start();
        Await.until(() -> server.requests("POST", CAPSULES).size() > creates, "the create is sent");
        t.interrupt();
        t.join(10_000);
        assertTrue(thrown.get() instanceof InterruptedException, String.valueOf(thrown.get()));
        assertTrue(log().contains("waiting for the create call to answer"), log());
        assertTrue(log().matches("(?s).*Created capsule cl-\\S+ .*Destroyed capsule cl-.*"), log());
        assertEquals(1, server.requests("DELETE", CAPSULES + "/cl-.*").size() - deletesBefore);
    }

    @Test
    void aCapsuleStillPausingFromThePreviousBuildIsResumedOnceItIsPaused() throws Exception {
        String id = server.createCapsule();
        CapsuleLease first = lifecycle.acquire(existing(id, true, true), log);
        // The previous build pauses it at its end; on a newer server that takes a while, here held
        // until this build has read the status.
        server.holdTransitions();
        CapsuleLease second;
        try {
            lifecycle.release(first, log);
            server.capsuleRoutes().transition(id, "pausing", "paused", Duration.ofMillis(400));
            second = lifecycle.acquire(
                    existing(id, true, true), CapsuleRecords.NONE, log, l -> server.releaseTransitions());
        } finally {
            server.releaseTransitions();
        }
        assertTrue(log().contains("Using capsule " + id + " (status: pausing)"), log());
        assertEquals("running", server.status(id));
        assertTrue(log().contains("Capsule " + id + ": paused after"), log());
        assertTrue(log().contains("Resuming capsule " + id), log());
        lifecycle.release(second, log);
        before = List.of(id);
        Await.until(() -> "paused".equals(server.status(id)), "paused again");
        server.setStatus(id, "stopped");
    }

    @ParameterizedTest
    @ValueSource(strings = {"starting", "resuming", "snapshotting"})
    void everyStatusOnTheWayToRunningIsWaitedOut(String transitional) throws Exception {
        String id = server.createCapsule();
        // Held until the build has read the status, which a loaded machine may take longer for.
        server.holdTransitions();
        CapsuleLease lease;
        try {
            server.capsuleRoutes().transition(id, transitional, "running", Duration.ofMillis(400));
            lease = lifecycle.acquire(
                    existing(id, false, false), CapsuleRecords.NONE, log, l -> server.releaseTransitions());
        } finally {
            server.releaseTransitions();
        }
        assertEquals("running", server.status(id));
        assertTrue(log().contains("Using capsule " + id + " (status: " + transitional + ")"), log());
        assertTrue(log().contains("Capsule " + id + " is running"), log());
        lifecycle.release(lease, log);
        server.setStatus(id, "stopped");
    }

    @Test
    void aCapsuleOnItsWayToStoppedFailsAsSoonAsItIsStopped() {
        String id = server.createCapsule();
        server.capsuleRoutes().transition(id, "stopping", "stopped", Duration.ofMillis(300));
        long started = System.nanoTime();
        CapsuleOptions waitLong = new CapsuleOptions(null, 0, 0, 0, 60, KeepPolicy.NEVER, id, true, false);
        CapsuleFailure f = assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(waitLong, log));
        assertTrue(System.nanoTime() - started < 10_000_000_000L, "failed at once, not after the 60 s wait");
        assertTrue(f.getMessage().contains("ended in status stopped"), f.getMessage());
    }

    @Test
    void aCapsulePausingWithoutResumeFailsOnceItIsPaused() {
        String id = server.createCapsule();
        server.capsuleRoutes().transition(id, "pausing", "paused", Duration.ofMillis(300));
        CapsuleFailure f = assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(existing(id, false, false), log));
        assertEquals(
                "Capsule " + id + " is paused: resume it first, or use resume: true to let the build resume it.",
                f.getMessage());
        assertTrue(server.requests("POST", CAPSULES + "/" + id + "/resume").isEmpty());
        server.setStatus(id, "stopped");
    }

    @Test
    void aFailedDestroyIsRetried() throws Exception {
        CapsuleLease lease = lifecycle.acquire(fresh("base", 10, KeepPolicy.NEVER), log);
        String path = CAPSULES + "/" + lease.capsuleId();
        server.failNextWithError("DELETE", path, 503, "service_unavailable", "Try later.", true);
        lifecycle.release(lease, log);
        assertEquals(2, server.requests("DELETE", path).size());
        assertTrue(log().contains("Could not destroy capsule " + lease.capsuleId()), log());
        assertTrue(log().contains("[wrenn] Destroyed capsule " + lease.capsuleId()), log());
    }

    @Test
    void aGiveBackDoneAgainAfterARestartIsHarmless() throws Exception {
        CapsuleLease destroyed = lifecycle.acquire(fresh("base", 10, KeepPolicy.NEVER), log);
        assertTrue(lifecycle.release(destroyed, log).gone());
        Released again = lifecycle.release(destroyed, log);
        assertTrue(again.gone(), "a capsule already gone counts as destroyed");
        assertFalse(again.usage().metricsRead(), "its metrics are gone with it, and it says so");

        CapsuleLease kept = lifecycle.acquire(fresh("base", 10, KeepPolicy.ALWAYS), log);
        lifecycle.release(kept, log);
        Released keptAgain = lifecycle.release(kept, log);
        assertEquals("paused", keptAgain.status(), "a capsule already paused stays paused");
        before = List.of(kept.capsuleId());
        client.capsules().destroy(kept.capsuleId());
    }

    @Test
    void aDestroyThatKeepsFailingIsReportedWithWhatToDo() throws Exception {
        CapsuleLease lease = lifecycle.acquire(fresh("base", 10, KeepPolicy.NEVER), log);
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
        assertFalse(lifecycle.release(lease, log).gone());
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
        CapsuleOptions both = new CapsuleOptions("python", 0, 0, 0, 0, KeepPolicy.NEVER, "cl-x", false, false);
        CapsuleFailure f = assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(both, log));
        assertTrue(f.getMessage().startsWith("capsule names an existing capsule"), f.getMessage());
        CapsuleOptions resumeFresh = new CapsuleOptions("python", 0, 0, 0, 0, KeepPolicy.NEVER, null, true, false);
        assertThrows(CapsuleFailure.class, () -> lifecycle.acquire(resumeFresh, log));
        assertEquals(calls, server.requests().size());
        assertNull(fresh("base", 0, KeepPolicy.NEVER).problem());
        assertEquals(
                CapsuleOptions.DEFAULT_WAIT, fresh("base", 0, KeepPolicy.NEVER).waitTimeout());
    }

    private void assertRequestIdShownOnCurrent(CapsuleFailure f) {
        assertEquals(
                generation == ServerGeneration.CURRENT,
                f.getMessage().contains("(Wrenn request id req_"),
                f.getMessage());
    }
}
