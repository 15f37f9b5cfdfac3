package io.jenkins.plugins.wrenn.capsules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.cloudbees.plugins.credentials.CredentialsScope;
import com.cloudbees.plugins.credentials.SystemCredentialsProvider;
import hudson.model.FreeStyleBuild;
import hudson.model.FreeStyleProject;
import hudson.model.Result;
import hudson.util.Secret;
import io.jenkins.plugins.wrenn.config.WrennCapsulesConfiguration;
import io.jenkins.plugins.wrenn.config.WrennGlobalConfiguration;
import io.jenkins.plugins.wrenn.freestyle.WrennCapsuleWrapper;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.sf.json.JSONArray;
import net.sf.json.JSONObject;
import org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl;
import org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

/**
 * What a build's capsules cost, and the capsules it kept, as users see them: the build page, the
 * build's REST API, the log, and the job page's trend; and Maximum capsules at once in real builds.
 */
@WithJenkins
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class CapsuleUsageJenkinsTest {

    static final String KEY = "wrn_capsule_usage_key_3e90";
    static final Pattern CREATED = Pattern.compile("Created capsule (cl-[0-9a-z]+)");
    /** What a script would ask the build's REST API for. */
    static final String TREE = "api/json?tree="
            + URLEncoder.encode(
                    "actions[capsules[capsule,vcpus,vcpuSeconds,mbSeconds,metricsRead,metricsProblem,peakCpuPercent],"
                            + "totals[capsules,unread,vcpuSeconds,mbSeconds],kept[capsule,status,keptUntil,resumeWith]]",
                    StandardCharsets.UTF_8);

    WrennTestServer server;

    @BeforeEach
    void setUp() throws Exception {
        server = WrennTestServer.start(KEY, ServerGeneration.CURRENT);
        server.setTransitionDelay(Duration.ofMillis(200));
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
    }

    WorkflowJob pipeline(JenkinsRule j, String name, String script) throws Exception {
        if (SystemCredentialsProvider.getInstance().getCredentials().isEmpty()) {
            SystemCredentialsProvider.getInstance()
                    .getCredentials()
                    .add(new StringCredentialsImpl(
                            CredentialsScope.GLOBAL, "wrenn-key", "Wrenn", Secret.fromString(KEY)));
        }
        WrennGlobalConfiguration.get().setApiUrl(server.baseUrl().toString());
        WrennGlobalConfiguration.get().setDefaultCredentialsId("wrenn-key");
        WorkflowJob job = j.jenkins.createProject(WorkflowJob.class, name);
        job.setDefinition(new CpsFlowDefinition(script, true));
        return job;
    }

    static List<String> created(WorkflowRun b) throws Exception {
        List<String> ids = new ArrayList<>();
        Matcher m = CREATED.matcher(JenkinsRule.getLog(b));
        while (m.find()) {
            ids.add(m.group(1));
        }
        return ids;
    }

    /** The build's capsule action as its REST API shows it. */
    static JSONObject capsulesApi(JenkinsRule j, WorkflowRun b) throws Exception {
        return capsulesApi(j, b, TREE);
    }

    /** The build's capsule action as the given query of its REST API shows it. */
    static JSONObject capsulesApi(JenkinsRule j, WorkflowRun b, String query) throws Exception {
        JSONArray actions =
                j.createWebClient().getJSON(b.getUrl() + query).getJSONObject().getJSONArray("actions");
        for (Object a : actions) {
            if (a instanceof JSONObject o && o.has("capsules")) {
                return o;
            }
        }
        throw new AssertionError("no capsule usage in " + actions);
    }

    @Test
    void eachCapsulesCostIsOnTheBuildPageInTheLogAndInTheRestApiWithTotals(JenkinsRule j) throws Exception {
        WorkflowRun b = j.buildAndAssertSuccess(pipeline(j, "two", """
                wrennCapsule(vcpus: 2, memoryMb: 1024) { wrennExec cmd: 'sleep 1' }
                wrennCapsule(vcpus: 4, memoryMb: 2048) { wrennExec cmd: 'sleep 1' }
                """));
        List<String> ids = created(b);
        assertEquals(2, ids.size());
        for (String id : ids) {
            j.assertLogContains("[wrenn] Capsule " + id + " used ", b);
        }

        BuildCapsulesAction action = b.getAction(BuildCapsulesAction.class);
        assertNotNull(action);
        assertEquals(2, action.getCapsules().size());
        double sum = action.getCapsules().stream()
                .mapToDouble(BuildCapsulesAction.Row::getVcpuSeconds)
                .sum();
        assertEquals(sum, action.getTotals().getVcpuSeconds(), 1e-9);
        assertTrue(action.getCapsules().get(1).getVcpuSeconds() >= 4.0, "4 vCPUs held for at least a second");

        String page = j.createWebClient().getPage(b).asNormalizedText();
        assertTrue(page.contains("Capsule usage"), page);
        assertTrue(page.contains(ids.get(0)) && page.contains(ids.get(1)), page);
        assertTrue(page.contains("Total"), page);

        JSONObject api = capsulesApi(j, b);
        JSONArray rows = api.getJSONArray("capsules");
        assertEquals(ids.get(0), rows.getJSONObject(0).getString("capsule"));
        assertEquals(2, rows.getJSONObject(0).getInt("vcpus"));
        assertTrue(rows.getJSONObject(0).getBoolean("metricsRead"));
        assertEquals(2, api.getJSONObject("totals").getInt("capsules"));
        assertEquals(sum, api.getJSONObject("totals").getDouble("vcpuSeconds"), 1e-6);
        // The plain api/json shows them too, rows included, as it shows a build's causes.
        JSONObject plain = capsulesApi(j, b, "api/json");
        assertEquals(ids.get(1), plain.getJSONArray("capsules").getJSONObject(1).getString("capsule"));
        assertEquals(2, plain.getJSONObject("totals").getInt("capsules"));
        Await.until(() -> server.capsulesLeft().isEmpty(), "both destroyed: " + server.capsulesLeft());
    }

    @Test
    void metricsThatCannotBeReadAreSaidOnThePageAndInTheApi(JenkinsRule j) throws Exception {
        for (int i = 0; i < 3; i++) {
            server.failNextWithError(
                    "GET", "/api/v1/capsules/[^/]+/metrics", 502, "host_unreachable", "Host down.", true);
        }
        WorkflowRun b = j.buildAndAssertSuccess(pipeline(j, "unread", "wrennCapsule { echo 'in' }"));
        j.assertLogContains("its metrics could not be read (HTTP 502: Host down.)", b);
        String page = j.createWebClient().getPage(b).asNormalizedText();
        assertTrue(page.contains("Metrics could not be read (HTTP 502: Host down.)"), page);
        assertTrue(page.contains("No capsule's metrics could be read."), page);
        JSONObject row = capsulesApi(j, b).getJSONArray("capsules").getJSONObject(0);
        assertEquals(false, row.getBoolean("metricsRead"));
        assertEquals("HTTP 502: Host down.", row.getString("metricsProblem"));
    }

    @Test
    void aCapsuleKeptOnFailureIsPausedAndTheBuildPageSaysHowToResumeIt(JenkinsRule j) throws Exception {
        WorkflowRun b = j.buildAndAssertStatus(
                Result.FAILURE, pipeline(j, "kept", "wrennCapsule(keep: 'onFailure') { error 'tests failed' }"));
        String id = created(b).getFirst();
        Await.until(() -> "paused".equals(server.status(id)), "kept paused");
        j.assertLogContains("Keeping capsule " + id + " (keep: onFailure, and the build failed)", b);

        String page = j.createWebClient().getPage(b).asNormalizedText();
        assertTrue(page.contains("Capsule " + id + " was kept at the end of the build, status paused."), page);
        assertTrue(page.contains("wrennCapsule(capsule: '" + id + "', resume: true)"), page);
        JSONObject kept = capsulesApi(j, b).getJSONArray("kept").getJSONObject(0);
        assertEquals(id, kept.getString("capsule"));
        assertEquals("paused", kept.getString("status"));
        assertTrue(kept.getString("keptUntil").startsWith("20"), kept.toString());
    }

    @Test
    void keepTrueStillMeansAlways(JenkinsRule j) throws Exception {
        WorkflowRun b = j.buildAndAssertSuccess(pipeline(j, "old", "wrennCapsule(keep: true) { echo 'kept' }"));
        String id = created(b).getFirst();
        j.assertLogContains("Keeping capsule " + id + " (keep: always)", b);
        Await.until(() -> "paused".equals(server.status(id)), "kept paused");
    }

    @Test
    void theJobPageShowsTheUsageTrend(JenkinsRule j) throws Exception {
        WorkflowJob job = pipeline(j, "trend", "wrennCapsule { echo 'in' }");
        j.buildAndAssertSuccess(job);
        j.buildAndAssertSuccess(job);
        JenkinsRule.WebClient wc = j.createWebClient();
        wc.getOptions().setJavaScriptEnabled(false);
        String html = wc.getPage(job).getWebResponse().getContentAsString();
        assertTrue(html.contains("wrenn-capsule-usage-trend"), "the chart's box is on the job page");
        CapsuleUsageTrendAction trend = job.getAction(CapsuleUsageTrendAction.class);
        assertNotNull(trend);
        JSONObject data = JSONObject.fromObject(trend.getTrend());
        assertEquals(List.of("#1", "#2"), data.getJSONArray("builds"));
        assertEquals(2, data.getJSONArray("vcpuSeconds").size());
    }

    @Test
    void theBlockAboveTheLimitWaitsForASlotAndAnAbortWhileWaitingEndsItAtOnce(JenkinsRule j) throws Exception {
        WrennCapsulesConfiguration.get().setMaxCapsules(1);
        WorkflowJob holder = pipeline(j, "holder", "wrennCapsule { sleep 20 }");
        WorkflowJob waiter = pipeline(j, "waiter", "wrennCapsule { echo 'got a slot' }");
        WorkflowRun first = holder.scheduleBuild2(0).waitForStart();
        j.waitForMessage("is running (after", first);

        WorkflowRun aborted = waiter.scheduleBuild2(0).waitForStart();
        j.waitForMessage("[wrenn] waiting for a capsule slot: 1 of 1 in use", aborted);
        long stopped = System.nanoTime();
        aborted.doStop();
        j.assertBuildStatus(Result.ABORTED, j.waitForCompletion(aborted));
        assertTrue(System.nanoTime() - stopped < 10_000_000_000L, "the abort ends the wait at once");
        j.assertLogNotContains("Creating a capsule", aborted);

        WorkflowRun second = waiter.scheduleBuild2(0).waitForStart();
        j.waitForMessage("[wrenn] waiting for a capsule slot: 1 of 1 in use", second);
        first.doStop();
        j.assertBuildStatusSuccess(j.waitForCompletion(second));
        j.assertLogContains("got a slot", second);
        Await.until(() -> server.capsulesLeft().isEmpty(), "no capsule left: " + server.capsulesLeft());
    }

    @Test
    void theFreestyleEnvironmentWaitsForASlotTooAndAnAbortEndsTheWaitAtOnce(JenkinsRule j) throws Exception {
        WrennCapsulesConfiguration.get().setMaxCapsules(1);
        WorkflowRun holder = pipeline(j, "holder", "wrennCapsule { sleep 20 }")
                .scheduleBuild2(0)
                .waitForStart();
        j.waitForMessage("is running (after", holder);

        FreeStyleProject free = j.createFreeStyleProject("free");
        free.getBuildWrappersList().add(new WrennCapsuleWrapper());
        FreeStyleBuild waiting = free.scheduleBuild2(0).waitForStart();
        j.waitForMessage("[wrenn] waiting for a capsule slot: 1 of 1 in use", waiting);
        long stopped = System.nanoTime();
        waiting.getExecutor().interrupt();
        j.assertBuildStatus(Result.ABORTED, j.waitForCompletion(waiting));
        assertTrue(System.nanoTime() - stopped < 10_000_000_000L, "the abort ends the wait at once");
        j.assertLogNotContains("Creating a capsule", waiting);

        holder.doStop();
        j.assertBuildStatus(Result.ABORTED, j.waitForCompletion(holder));
        FreeStyleBuild next = j.buildAndAssertSuccess(free);
        j.assertLogContains("Destroyed capsule", next);
        Await.until(() -> server.capsulesLeft().isEmpty(), "no capsule left: " + server.capsulesLeft());
    }
}
