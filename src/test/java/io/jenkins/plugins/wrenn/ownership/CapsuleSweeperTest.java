package io.jenkins.plugins.wrenn.ownership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jenkins.plugins.wrenn.api.CapsuleSpec;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLease;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLifecycle;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleOptions;
import io.jenkins.plugins.wrenn.lifecycle.KeepPolicy;
import io.jenkins.plugins.wrenn.lifecycle.Released;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The sweep against both server generations: what a crash leaves is reclaimed, a kept capsule
 * lives out its retention, and capsules of others are never touched.
 */
@ParameterizedClass(name = "{0} server")
@EnumSource(ServerGeneration.class)
class CapsuleSweeperTest {

    static final String KEY = "wrn_test_sweeper_0123456789";
    static final String INSTANCE = "0f3c9a1e5d7b2c4a6e8f0a1b2c3d4e5f";
    static WrennTestServer server;

    @Parameter
    ServerGeneration generation;

    @TempDir
    Path home;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream log = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final Map<String, CapsuleSweeper.BuildState> builds = new HashMap<>();
    private CapsuleLedger ledger;
    private Group group;
    private WrennClient client;
    private CapsuleLifecycle lifecycle;

    @BeforeParameterizedClassInvocation
    static void start(ServerGeneration serverGeneration) throws Exception {
        server = WrennTestServer.start(KEY, serverGeneration);
        server.setTransitionDelay(Duration.ofMillis(200));
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        server.close();
    }

    @BeforeEach
    void setUp() {
        ledger = new CapsuleLedger(home.resolve("capsules.json"));
        group = new Group(server.baseUrl().toString(), "wrenn-key");
        client = WrennClient.builder(server.baseUrl(), KEY).build();
        lifecycle = new CapsuleLifecycle(client, "wrenn-key", Duration.ofMillis(50), Duration.ofMillis(20), 3);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (String id : server.capsulesLeft()) {
            server.setStatus(id, "stopped");
        }
        client.close();
    }

    private CapsuleSweeper sweeper(Duration ahead) {
        return new CapsuleSweeper(
                ledger,
                INSTANCE,
                g -> WrennClient.builder(URI.create(g.apiUrl()), KEY).build(),
                (job, build) -> builds.getOrDefault(job + "#" + build, CapsuleSweeper.BuildState.GONE),
                Clock.offset(Clock.systemUTC(), ahead));
    }

    private List<OwnedCapsule.State> states() {
        return ledger.all().stream().map(OwnedCapsule::state).toList();
    }

    private List<CapsuleSweeper.Action> sweep() throws Exception {
        return sweeper(Duration.ZERO).sweep(List.of(group));
    }

    private LedgerRecords records(String job, int build, String recordId) {
        return new LedgerRecords(
                ledger, new OwnerTag(INSTANCE, job, build, recordId), group, Duration.ofHours(24), Clock.systemUTC());
    }

    private static CapsuleOptions fresh(KeepPolicy keep) {
        return new CapsuleOptions("base", 0, 0, 0, 10, keep, null, false, false);
    }

    /** Sweeps until the records are settled: newer servers finish a destroy after answering it. */
    private void sweepUntilForgotten() throws Exception {
        Await.until(
                () -> {
                    sweep();
                    return ledger.all().isEmpty();
                },
                "the records of the destroyed capsules to be gone: " + ledger.all());
    }

    @Test
    void aCapsuleLeftByACrashBetweenCreateAndTheBlockIsReclaimedOnceItsBuildIsOver() throws Exception {
        builds.put("folder/app#7", CapsuleSweeper.BuildState.RUNNING);
        CapsuleLease lease =
                lifecycle.acquire(fresh(KeepPolicy.NEVER), records("folder/app", 7, "r-crash"), log, l -> {});
        // The controller dies here: nothing gives the capsule back.
        assertEquals(
                OwnedCapsule.State.ACTIVE,
                ledger.byCapsule(lease.capsuleId()).orElseThrow().state());

        assertEquals(List.of(), sweep(), "a running build keeps its capsule");
        assertEquals("running", server.status(lease.capsuleId()));

        builds.put("folder/app#7", CapsuleSweeper.BuildState.OVER);
        List<CapsuleSweeper.Action> actions = sweep();
        assertEquals(1, actions.size(), actions.toString());
        assertEquals(CapsuleSweeper.Kind.DESTROYED, actions.getFirst().kind());
        assertEquals(
                "Destroyed capsule " + lease.capsuleId() + " of folder/app #7: its build is over.",
                actions.getFirst().what());
        sweepUntilForgotten();
        assertEquals(List.of(), server.capsulesLeft());
    }

    @Test
    void aCreateWhoseAnswerNeverCameIsFoundByItsLabelsOnNewerServers() throws Exception {
        assumeTrue(generation == ServerGeneration.CURRENT, "only newer servers keep labels");
        LedgerRecords records = records("app", 3, "r-unanswered");
        records.creating();
        // The create reaches the server; the controller dies before the answer.
        String id = client.capsules()
                .create(new CapsuleSpec("base", 0, 0, 0, records.labels()))
                .id();
        assertNull(ledger.byRecord("r-unanswered").orElseThrow().capsuleId());

        List<CapsuleSweeper.Action> actions = sweep();
        assertEquals(1, actions.size(), actions.toString());
        assertEquals(id, actions.getFirst().capsuleId());
        assertEquals(
                "Destroyed capsule " + id + " of app #3: its build no longer exists.",
                actions.getFirst().what());
        sweepUntilForgotten();
    }

    @Test
    void onTheFirstGenerationAnUnansweredCreateIsForgottenAfterItsGraceWithWhatToLookFor() throws Exception {
        assumeTrue(generation == ServerGeneration.V0_1_5);
        records("app", 4, "r-lost").creating();
        assertEquals(List.of(), sweep(), "within the grace the answer may still come");
        List<CapsuleSweeper.Action> actions =
                sweeper(CapsuleSweeper.UNANSWERED_GRACE.plusMinutes(1)).sweep(List.of(group));
        assertEquals(1, actions.size(), actions.toString());
        assertEquals(CapsuleSweeper.Kind.FORGOTTEN, actions.getFirst().kind());
        assertTrue(
                actions.getFirst().what().contains("look in the Wrenn dashboard"),
                actions.getFirst().what());
        assertTrue(ledger.all().isEmpty());
    }

    @Test
    void capsulesOfAnotherJenkinsOrOfNobodyAreNeverTouched() throws Exception {
        String unlabelled = server.createCapsule();
        String otherJenkins = server.capsuleRoutes()
                .createWithMetadata(new OwnerTag("another-instance", "app", 1, "r-other").labels());
        String sameNameOtherPlugin = server.capsuleRoutes()
                .createWithMetadata(Map.of(OwnerTag.INSTANCE, INSTANCE, OwnerTag.JOB, "app", OwnerTag.BUILD, "1"));
        builds.put("app#1", CapsuleSweeper.BuildState.OVER);

        assertEquals(List.of(), sweep());
        assertEquals("running", server.status(unlabelled));
        assertEquals("running", server.status(otherJenkins));
        assertEquals("running", server.status(sameNameOtherPlugin));
        // The server is the class's: other tests' destroys are theirs.
        String these = "(" + String.join("|", unlabelled, otherJenkins, sameNameOtherPlugin) + ")";
        assertEquals(
                List.of(),
                server.requests("DELETE", "/api/v1/capsules/" + these + "(/.*)?"),
                "no destroy was even sent");
        assertNull(sweeper(Duration.ZERO).destroyAsked(otherJenkins, "alice", List.of(group)), "nor on request");
    }

    @Test
    void aCapsuleKeptOnFailureIsPausedAndDestroyedOnceItsRetentionIsOver() throws Exception {
        builds.put("app#9", CapsuleSweeper.BuildState.RUNNING);
        CapsuleLease lease = lifecycle.acquire(fresh(KeepPolicy.ON_FAILURE), records("app", 9, "r-kept"), log, l -> {});
        Released released = lifecycle.release(lease, true, records("app", 9, "r-kept"), log);
        assertTrue(released.kept());
        assertEquals("paused", server.status(lease.capsuleId()));
        OwnedCapsule record = ledger.byCapsule(lease.capsuleId()).orElseThrow();
        assertEquals(OwnedCapsule.State.KEPT, record.state());
        assertEquals(released.keptUntil(), record.keptUntil());
        builds.put("app#9", CapsuleSweeper.BuildState.OVER);

        assertEquals(List.of(), sweep(), "kept: the retention has not run out");
        assertEquals("paused", server.status(lease.capsuleId()));

        List<CapsuleSweeper.Action> actions = sweeper(Duration.ofHours(25)).sweep(List.of(group));
        assertEquals(1, actions.size(), actions.toString());
        assertTrue(
                actions.getFirst()
                        .what()
                        .startsWith("Destroyed capsule " + lease.capsuleId() + " of app #9: it was kept until "),
                actions.getFirst().what());
        sweepUntilForgotten();
        assertEquals(List.of(), server.capsulesLeft());
    }

    @Test
    void aCapsuleKeptUntilItsBuildsResultIsPausedAndMayBeDestroyedBeforeItsRetentionEnds() throws Exception {
        builds.put("app#11", CapsuleSweeper.BuildState.RUNNING);
        CapsuleLease lease =
                lifecycle.acquire(fresh(KeepPolicy.ON_FAILURE), records("app", 11, "r-until"), log, l -> {});
        Released released = lifecycle.keepUntilResult(lease, records("app", 11, "r-until"), log);
        assertTrue(released.kept());
        assertEquals("paused", server.status(lease.capsuleId()));
        OwnedCapsule record = ledger.byCapsule(lease.capsuleId()).orElseThrow();
        assertEquals(OwnedCapsule.State.KEPT, record.state(), "a crash now leaves it to its retention");
        assertEquals(released.keptUntil(), record.keptUntil());
        String said = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(said.contains("the build's result is not known yet, and a success destroys it"), said);
        builds.put("app#11", CapsuleSweeper.BuildState.OVER);
        assertEquals(List.of(), sweep(), "kept: the retention has not run out");
        // A failed build keeps it for the whole retention from its end, not from the give-back.
        Instant later = released.keptUntil().plus(Duration.ofHours(3));
        assertTrue(ledger.keepUntil(lease.capsuleId(), later));
        assertEquals(later, ledger.byCapsule(lease.capsuleId()).orElseThrow().keptUntil());

        CapsuleSweeper.Action a =
                sweeper(Duration.ZERO).destroyBecause(lease.capsuleId(), "its build succeeded", List.of(group));
        assertEquals(CapsuleSweeper.Kind.DESTROYED, a.kind(), a.what());
        assertEquals("Destroyed capsule " + lease.capsuleId() + " of app #11: its build succeeded.", a.what());
        assertFalse(ledger.keepUntil(lease.capsuleId(), later), "no longer kept once its destroy was sent");
        sweepUntilForgotten();
        assertFalse(server.capsulesLeft().contains(lease.capsuleId()), "destroyed");
    }

    @Test
    void aKeptCapsuleWhoseDestroyFailedIsDestroyedByTheNextSweep() throws Exception {
        CapsuleLease lease = keptAndOver(12, "r-retry");
        server.failNext(
                "DELETE", "/api/v1/capsules/" + lease.capsuleId(), 502, "text/html", "<html>Bad gateway</html>");

        CapsuleSweeper.Action a = sweeper(Duration.ZERO).destroyAsked(lease.capsuleId(), "alice", List.of(group));
        assertEquals(CapsuleSweeper.Kind.FAILED, a.kind(), a.what());
        assertTrue(a.what().endsWith("The next sweep tries again."), a.what());
        assertEquals("paused", server.status(lease.capsuleId()));

        // Its retention is a day away: only the destroy asked for makes the sweep take it.
        assertTheNextSweepDestroysIt();
    }

    @Test
    void aKeptCapsuleWhoseApiCannotBeReachedIsLeftToTheNextSweep() throws Exception {
        CapsuleLease lease = keptAndOver(13, "r-unreachable");
        CapsuleSweeper noCredentials = new CapsuleSweeper(
                ledger,
                INSTANCE,
                g -> {
                    throw new IOException("credentials wrenn-key are gone");
                },
                (job, build) -> builds.getOrDefault(job + "#" + build, CapsuleSweeper.BuildState.GONE),
                Clock.systemUTC());

        CapsuleSweeper.Action a =
                noCredentials.destroyBecause(lease.capsuleId(), "its build succeeded", List.of(group));
        assertEquals(CapsuleSweeper.Kind.FAILED, a.kind(), a.what());
        assertTrue(a.what().contains("credentials wrenn-key are gone"), a.what());
        assertEquals(List.of(OwnedCapsule.State.DESTROYING), states(), "no longer kept");
        assertEquals("paused", server.status(lease.capsuleId()));

        // Reachable again: the next sweep destroys it, a day before its retention would have.
        assertTheNextSweepDestroysIt();
    }

    /** A capsule of app's build {@code build}, kept with {@code keep: always}, whose build is over. */
    private CapsuleLease keptAndOver(int build, String recordId) throws Exception {
        builds.put("app#" + build, CapsuleSweeper.BuildState.RUNNING);
        CapsuleLease lease = lifecycle.acquire(fresh(KeepPolicy.ALWAYS), records("app", build, recordId), log, l -> {});
        assertTrue(lifecycle
                .release(lease, false, records("app", build, recordId), log)
                .kept());
        builds.put("app#" + build, CapsuleSweeper.BuildState.OVER);
        return lease;
    }

    private void assertTheNextSweepDestroysIt() throws Exception {
        List<CapsuleSweeper.Action> actions = sweep();
        assertEquals(1, actions.size(), actions.toString());
        assertEquals(CapsuleSweeper.Kind.DESTROYED, actions.getFirst().kind(), actions.toString());
        sweepUntilForgotten();
    }

    @Test
    void anAdministratorMayDestroyAnOwnedCapsuleAndItIsLogged() throws Exception {
        builds.put("app#2", CapsuleSweeper.BuildState.RUNNING);
        CapsuleLease lease = lifecycle.acquire(fresh(KeepPolicy.NEVER), records("app", 2, "r-asked"), log, l -> {});
        CapsuleSweeper.Action a = sweeper(Duration.ZERO).destroyAsked(lease.capsuleId(), "alice", List.of(group));
        assertEquals(
                "Destroyed capsule " + lease.capsuleId() + " of app #2: alice asked for it on the Wrenn capsules page.",
                a.what());
        sweepUntilForgotten();
    }

    @Test
    void theGivenBackCapsuleLeavesNoRecord() throws Exception {
        CapsuleLease lease = lifecycle.acquire(fresh(KeepPolicy.NEVER), records("app", 5, "r-normal"), log, l -> {});
        // A newer server stays stopping for a while: held here, so that the release reads it so.
        server.holdTransitions();
        try {
            assertTrue(lifecycle
                    .release(lease, false, records("app", 5, "r-normal"), log)
                    .gone());
            if (generation == ServerGeneration.V0_1_5) {
                assertTrue(ledger.all().isEmpty(), "confirmed gone at once: " + ledger.all());
            } else {
                // Accepted, and finished by the server later: the next sweep confirms it.
                assertEquals(List.of(OwnedCapsule.State.DESTROYING), states());
            }
        } finally {
            server.releaseTransitions();
        }
        sweepUntilForgotten();
    }

    @Test
    void theLedgerSurvivesARestartOfTheController() throws Exception {
        records("app", 6, "r-persisted").creating();
        ledger.update("r-persisted", r -> r.withCapsule("cl-0000000000000000000000006"));
        CapsuleLedger reread = new CapsuleLedger(home.resolve("capsules.json"));
        assertEquals(ledger.all(), reread.all());
        ledger.remove(List.of("r-persisted"));
    }
}
