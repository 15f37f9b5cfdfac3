package io.jenkins.plugins.wrenn.cloud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.cloudbees.plugins.credentials.CredentialsScope;
import com.cloudbees.plugins.credentials.SystemCredentialsProvider;
import hudson.model.Result;
import hudson.util.Secret;
import io.jenkins.plugins.wrenn.capsules.BuildCapsulesAction;
import io.jenkins.plugins.wrenn.config.WrennGlobalConfiguration;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.htmlunit.html.HtmlForm;
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
 * Wrenn agents in a real Jenkins: the test server's "capsule" runs the controller's real agent.jar
 * as a local process, which connects back over loopback with {@code -webSocket}, as an agent in a
 * real capsule does over the network.
 */
@WithJenkins
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class WrennCloudJenkinsTest {

    static final String KEY = "wrn_cloud_agents_key_7a1e";
    static final Pattern CAPSULE = Pattern.compile("in Wrenn capsule (cl-[0-9a-z]+)");

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

    /** A cloud with one template for label {@code wrenn}, whose agents run this test's own JVM. */
    static WrennCloud cloud(JenkinsRule j, WrennTestServer server, String javaCommand) throws Exception {
        SystemCredentialsProvider.getInstance()
                .getCredentials()
                .add(new StringCredentialsImpl(CredentialsScope.GLOBAL, "wrenn-key", "Wrenn", Secret.fromString(KEY)));
        SystemCredentialsProvider.getInstance().save();
        WrennGlobalConfiguration.get().setApiUrl(server.baseUrl().toString());
        WrennGlobalConfiguration.get().setDefaultCredentialsId("wrenn-key");
        WrennAgentTemplate template = new WrennAgentTemplate("wrenn");
        template.setTemplate("java-21");
        template.setJavaCommand(javaCommand);
        template.setConnectTimeout(60);
        WrennCloud cloud = new WrennCloud("wrenn-test");
        cloud.setJenkinsUrl(j.getURL().toString());
        cloud.setTemplates(List.of(template));
        j.jenkins.clouds.add(cloud);
        j.jenkins.save();
        return cloud;
    }

    static String thisJvm() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    WorkflowJob pipeline(JenkinsRule j, String script) throws Exception {
        WorkflowJob job = j.jenkins.createProject(
                WorkflowJob.class, "p" + j.jenkins.getItems().size());
        job.setDefinition(new CpsFlowDefinition(script, true));
        return job;
    }

    @Test
    void aPipelineRunsOnAFreshCapsuleThatIsGoneAfterwards(JenkinsRule j) throws Exception {
        cloud(j, server, thisJvm());
        WorkflowRun b = j.buildAndAssertSuccess(pipeline(j, """
                node('wrenn') {
                    sh 'echo hi-$((40+2)) from $(pwd)'
                }
                """));
        j.assertLogContains("hi-42 from ", b);
        Matcher m = CAPSULE.matcher(JenkinsRule.getLog(b));
        assertTrue(m.find(), "the build's log names its capsule");
        String capsule = m.group(1);
        // The launch's lines up to the agent's start: the build cannot begin before the agent
        // connects, which it does only after it started. ("is online" may come after the build
        // began: the launch notices the connection by polling while the queue hands out the work.)
        j.assertLogContains("[wrenn] Started agent wrenn-wrenn-", b);
        j.assertLogNotContains(KEY, b);
        String body = server.requests("POST", "/api/v1/capsules").getLast().body();
        assertTrue(body.contains("\"template\":\"java-21\""), body);
        assertTrue(
                body.contains("\"jenkins.job\":\"agent:wrenn-wrenn-"),
                "the capsule is labelled as the agent's: " + body);
        Await.until(() -> !server.capsulesLeft().contains(capsule), "capsule " + capsule + " is destroyed");
        Await.until(() -> j.jenkins.getNodes().isEmpty(), "the agent is removed: " + j.jenkins.getNodes());
        // Its usage is recorded on the build.
        BuildCapsulesAction usage = b.getAction(BuildCapsulesAction.class);
        assertTrue(usage != null && !usage.getCapsules().isEmpty(), "usage recorded");
    }

    @Test
    void theAgentsPageSaysWhichCapsuleItRunsInAndOffersNoCommandToConnectIt(JenkinsRule j) throws Exception {
        cloud(j, server, thisJvm());
        Path dir = Files.createTempDirectory("wrenn-agent-page");
        Path gate = dir.resolve("gate");
        try {
            WorkflowRun b = pipeline(
                            j,
                            "node('wrenn') { sh 'echo page-$((1+1)); while [ ! -e " + gate
                                    + " ]; do sleep 0.1; done' }")
                    .scheduleBuild2(0)
                    .waitForStart();
            j.waitForMessage("page-2", b);
            Matcher m = CAPSULE.matcher(JenkinsRule.getLog(b));
            assertTrue(m.find(), "the build's log names its capsule");
            String agent = j.jenkins.getNodes().get(0).getNodeName();
            // The inbound agent's own page would offer a command to run by hand, with the agent's secret.
            String page = j.createWebClient().goTo("computer/" + agent + "/").asNormalizedText();
            assertTrue(page.contains("This agent runs in Wrenn capsule " + m.group(1)), page);
            assertFalse(page.contains("-secret"), page);
            Files.createFile(gate);
            j.assertBuildStatusSuccess(j.waitForCompletion(b));
        } finally {
            Files.deleteIfExists(gate);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void aLaunchThatFailsSaysWhyInTheBuildAndLeavesNoCapsule(JenkinsRule j) throws Exception {
        cloud(j, server, "no-such-java");
        WorkflowRun b = j.assertBuildStatus(
                Result.ABORTED,
                pipeline(j, "node('wrenn') { echo 'never here' }").scheduleBuild2(0));
        j.assertLogContains("No JVM in the image", b);
        j.assertLogNotContains("never here", b);
        Await.until(() -> server.capsulesLeft().isEmpty(), "no capsule left: " + server.capsulesLeft());
        Await.until(() -> j.jenkins.getNodes().isEmpty(), "the agent is removed: " + j.jenkins.getNodes());
    }

    @Test
    void theCloudFormKeepsEverySetting(JenkinsRule j) throws Exception {
        WrennCloud cloud = cloud(j, server, "/opt/java/bin/java");
        cloud.setApiUrl("https://wrenn.example.com/api");
        cloud.setCredentialsId("wrenn-key");
        WrennAgentTemplate t = cloud.getTemplates().get(0);
        t.setVcpus(4);
        t.setMemoryMb(4096);
        t.setRemoteRoot("/home/user/agent");
        t.setIdleMinutes(3);
        t.setKeep("onFailure");
        t.setAllowOverrides(true);
        j.jenkins.save();
        HtmlForm form = j.createWebClient().goTo("cloud/wrenn-test/configure").getFormByName("config");
        j.submit(form);
        WrennCloud after = (WrennCloud) j.jenkins.getCloud("wrenn-test");
        j.assertEqualDataBoundBeans(cloud, after);
        assertEquals("onFailure", after.getTemplates().get(0).getKeep());
    }

    @Test
    void keepOnFailureKeepsTheCapsuleOfAPipelineThatFailsAfterItsNodeBlock(JenkinsRule j) throws Exception {
        PastTheNodeBlock run =
                runPastTheNodeBlockWithKeepOnFailure(j, "error 'failed after the node block'", Result.FAILURE);
        assertEquals("paused", server.status(run.capsule()), "kept paused: the build failed");
        assertTrue(server.capsulesLeft().contains(run.capsule()), "not destroyed");
        BuildCapsulesAction kept = run.build().getAction(BuildCapsulesAction.class);
        assertEquals(
                List.of(run.capsule()),
                kept.getKept().stream()
                        .map(BuildCapsulesAction.Kept::getCapsule)
                        .toList(),
                "listed as kept on the build");
        j.assertLogContains("so capsule " + run.capsule() + " stays kept until ", run.build());
    }

    @Test
    void keepOnFailureDestroysTheCapsuleOnceAPipelineSucceedsAfterItsNodeBlock(JenkinsRule j) throws Exception {
        PastTheNodeBlock run = runPastTheNodeBlockWithKeepOnFailure(j, "echo 'after the node block'", Result.SUCCESS);
        Await.until(() -> !server.capsulesLeft().contains(run.capsule()), "capsule " + run.capsule() + " is destroyed");
        assertEquals(List.of(), run.build().getAction(BuildCapsulesAction.class).getKept(), "no longer listed as kept");
        j.assertLogContains("This build succeeded, so capsule " + run.capsule(), run.build());
    }

    /** A finished build whose agent was given back before its end, and that agent's capsule. */
    record PastTheNodeBlock(WorkflowRun build, String capsule) {}

    /**
     * Runs a Pipeline whose {@code node('wrenn')} block ends well before the build does, with
     * {@code keep: onFailure}: the agent is given back while the result is not known yet, and the
     * build goes on (on the built-in node, held by a gate) until the capsule is kept paused.
     */
    PastTheNodeBlock runPastTheNodeBlockWithKeepOnFailure(JenkinsRule j, String afterwards, Result expected)
            throws Exception {
        cloud(j, server, thisJvm()).getTemplates().get(0).setKeep("onFailure");
        Path dir = Files.createTempDirectory("wrenn-keep");
        Path gate = dir.resolve("gate");
        try {
            WorkflowRun b = pipeline(
                            j,
                            "node('wrenn') { sh 'echo in-the-capsule' }\n"
                                    + "node { sh 'while [ ! -e " + gate + " ]; do sleep 0.1; done' }\n"
                                    + afterwards)
                    .scheduleBuild2(0)
                    .waitForStart();
            j.waitForMessage("in-the-capsule", b);
            Matcher m = CAPSULE.matcher(JenkinsRule.getLog(b));
            assertTrue(m.find(), "the build's log names its capsule");
            String capsule = m.group(1);
            Await.until(
                    () -> {
                        BuildCapsulesAction a = b.getAction(BuildCapsulesAction.class);
                        return a != null && !a.getKept().isEmpty();
                    },
                    "the capsule is kept while the build still runs");
            assertEquals("paused", server.status(capsule), "paused while the result is not known");
            assertTrue(b.isBuilding(), "the build waits at the gate");
            Files.createFile(gate);
            j.assertBuildStatus(expected, j.waitForCompletion(b));
            Await.until(() -> j.jenkins.getNodes().isEmpty(), "the agent is removed: " + j.jenkins.getNodes());
            return new PastTheNodeBlock(b, capsule);
        } finally {
            Files.deleteIfExists(gate);
            Files.deleteIfExists(dir);
        }
    }
}
