package io.jenkins.plugins.wrenn.cloud;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.time.Duration;
import java.util.regex.Matcher;
import org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.JenkinsSessionExtension;

/**
 * A controller restart while an {@code sh} runs on a Wrenn agent: the agent in the capsule (which
 * outlives the controller, as a real capsule does) connects again on its own, the {@code sh}
 * resumes as on any inbound agent, and the capsule is destroyed when the build is done with it.
 * An agent whose capsule is gone is removed.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class WrennCloudRestartJenkinsTest {

    static WrennTestServer server;

    @RegisterExtension
    private final JenkinsSessionExtension sessions = new JenkinsSessionExtension();

    @BeforeAll
    static void startServer() throws Exception {
        server = WrennTestServer.start(WrennCloudJenkinsTest.KEY, ServerGeneration.CURRENT);
        server.setTransitionDelay(Duration.ofMillis(200));
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @Test
    void aRunningShResumesOnTheSameCapsuleAfterARestart() throws Throwable {
        String[] capsule = new String[1];
        sessions.then(j -> {
            WrennCloudJenkinsTest.cloud(j, server, WrennCloudJenkinsTest.thisJvm());
            WorkflowJob p = j.jenkins.createProject(WorkflowJob.class, "p");
            p.setDefinition(new CpsFlowDefinition("""
                    node('wrenn') {
                        sh 'echo sh-$((1+1))-started; sleep 20; echo sh-$((2+3))-finished'
                    }
                    """, true));
            WorkflowRun b = p.scheduleBuild2(0).waitForStart();
            j.waitForMessage("sh-2-started", b);
            Matcher m = WrennCloudJenkinsTest.CAPSULE.matcher(JenkinsRule.getLog(b));
            assertTrue(m.find(), "the build's log names its capsule");
            capsule[0] = m.group(1);
        });
        sessions.then(j -> {
            WorkflowRun b = j.jenkins.getItemByFullName("p", WorkflowJob.class).getBuildByNumber(1);
            j.assertBuildStatusSuccess(j.waitForCompletion(b));
            j.assertLogContains("sh-5-finished", b);
            Await.until(() -> !server.capsulesLeft().contains(capsule[0]), "capsule " + capsule[0] + " is destroyed");
            Await.until(() -> j.jenkins.getNodes().isEmpty(), "the agent is removed: " + j.jenkins.getNodes());
        });
    }

    @Test
    void anAgentWhoseCapsuleIsGoneIsRemovedAfterARestart() throws Throwable {
        String[] capsule = new String[1];
        sessions.then(j -> {
            WrennCloudJenkinsTest.cloud(j, server, WrennCloudJenkinsTest.thisJvm());
            WorkflowJob p = j.jenkins.createProject(WorkflowJob.class, "q");
            p.setDefinition(new CpsFlowDefinition("node('wrenn') { sh 'echo up-$((1+1)); sleep 60' }", true));
            WorkflowRun b = p.scheduleBuild2(0).waitForStart();
            // Text only the running sh prints: "up" alone is in sh's own trace ("+ echo up"), and
            // may be in the agent's random name.
            j.waitForMessage("up-2", b);
            Matcher m = WrennCloudJenkinsTest.CAPSULE.matcher(JenkinsRule.getLog(b));
            assertTrue(m.find(), "the build's log names its capsule");
            capsule[0] = m.group(1);
        });
        // While Jenkins is down, the capsule is destroyed outside Jenkins.
        server.setStatus(capsule[0], "stopped");
        sessions.then(j -> {
            Await.until(() -> j.jenkins.getNodes().isEmpty(), "the agent whose capsule is gone is removed");
        });
    }
}
