package io.jenkins.plugins.wrenn.cloud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.time.Duration;
import java.util.List;
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
 * A controller restart while the stages of {@code agent { wrenn { ... } }} run: the build's agent
 * template is not saved, so the restarted controller has none until the resumed block puts its
 * own back; the {@code sh} resumes on the same capsule, and when the build is done the capsule,
 * the agent and the template are gone.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class WrennDeclarativeAgentRestartJenkinsTest {

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
    void theBuildsTemplateComesBackWithTheResumedBlockAndGoesWithTheBuild() throws Throwable {
        String[] capsule = new String[1];
        sessions.then(j -> {
            WrennCloud cloud = WrennCloudJenkinsTest.cloud(j, server, WrennCloudJenkinsTest.thisJvm());
            cloud.getTemplates().get(0).setAllowOverrides(true);
            j.jenkins.save();
            WorkflowJob p = j.jenkins.createProject(WorkflowJob.class, "p");
            p.setDefinition(new CpsFlowDefinition("""
                    pipeline {
                        agent {
                            wrenn {
                                inheritFrom 'wrenn'
                                memoryMb 1024
                            }
                        }
                        stages {
                            stage('long') {
                                steps {
                                    sh 'echo sh-$((1+1))-started; sleep 30; echo sh-$((2+3))-finished'
                                }
                            }
                        }
                    }
                    """, true));
            WorkflowRun b = p.scheduleBuild2(0).waitForStart();
            j.waitForMessage("sh-2-started", b);
            Matcher m = WrennCloudJenkinsTest.CAPSULE.matcher(JenkinsRule.getLog(b));
            assertTrue(m.find(), "the build's log names its capsule");
            capsule[0] = m.group(1);
            assertEquals(1, PipelineAgentTemplates.get().of("wrenn-test").size(), "the build's template is there");
        });
        sessions.then(j -> {
            WorkflowRun b = j.jenkins.getItemByFullName("p", WorkflowJob.class).getBuildByNumber(1);
            Await.until(
                    () -> PipelineAgentTemplates.get().of("wrenn-test").size() == 1,
                    "the resumed block puts its template back");
            WrennAgentTemplate resumed =
                    PipelineAgentTemplates.get().of("wrenn-test").get(0);
            assertTrue(resumed.getLabels().startsWith("wrenn-p-1-"), resumed.getLabels());
            assertEquals(1024, resumed.getMemoryMb(), "with the Jenkinsfile's settings");
            j.assertBuildStatusSuccess(j.waitForCompletion(b));
            j.assertLogContains("sh-5-finished", b);
            Await.until(() -> !server.capsulesLeft().contains(capsule[0]), "capsule " + capsule[0] + " is destroyed");
            Await.until(() -> j.jenkins.getNodes().isEmpty(), "the agent is removed: " + j.jenkins.getNodes());
            assertEquals(List.of(), PipelineAgentTemplates.get().of("wrenn-test"), "the build's template is removed");
        });
    }
}
