package io.jenkins.plugins.wrenn.cloud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hudson.model.Result;
import io.jenkins.plugins.wrenn.capsules.BuildCapsulesAction;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import org.jenkinsci.plugins.pipeline.modeldefinition.generator.AgentDirective;
import org.jenkinsci.plugins.pipeline.modeldefinition.generator.DirectiveGeneratorTester;
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
 * Declarative's {@code agent { wrenn { ... } }} in a real Jenkins: the stages run on a fresh
 * capsule made from the cloud's agent template with the Jenkinsfile's settings (the test server's
 * capsule runs the controller's real agent.jar over loopback), the capsule is gone afterwards, and
 * a change the template does not allow fails the build before any capsule is made.
 */
@WithJenkins
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class WrennDeclarativeAgentJenkinsTest {

    WrennTestServer server;

    @BeforeEach
    void setUp() throws Exception {
        server = WrennTestServer.start(WrennCloudJenkinsTest.KEY, ServerGeneration.CURRENT);
        server.setTransitionDelay(Duration.ofMillis(200));
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
    }

    /** The cloud {@code wrenn-test} with one agent template, labels {@code wrenn}, Wrenn template {@code java-21}. */
    WrennCloud cloud(JenkinsRule j, boolean allowOverrides) throws Exception {
        WrennCloud cloud = WrennCloudJenkinsTest.cloud(j, server, WrennCloudJenkinsTest.thisJvm());
        cloud.getTemplates().get(0).setAllowOverrides(allowOverrides);
        j.jenkins.save();
        return cloud;
    }

    static WorkflowRun run(JenkinsRule j, String script, Result expected) throws Exception {
        WorkflowJob job = j.jenkins.createProject(
                WorkflowJob.class, "p" + j.jenkins.getItems().size());
        job.setDefinition(new CpsFlowDefinition(script, true));
        return j.assertBuildStatus(expected, job.scheduleBuild2(0));
    }

    /** The capsule the build ran in, gone afterwards with its agent and the build's template. */
    void assertCleanedUp(JenkinsRule j, WorkflowRun b) throws Exception {
        Matcher m = WrennCloudJenkinsTest.CAPSULE.matcher(JenkinsRule.getLog(b));
        assertTrue(m.find(), "the build's log names its capsule");
        String capsule = m.group(1);
        Await.until(() -> !server.capsulesLeft().contains(capsule), "capsule " + capsule + " is destroyed");
        Await.until(() -> j.jenkins.getNodes().isEmpty(), "the agent is removed: " + j.jenkins.getNodes());
        assertEquals(List.of(), PipelineAgentTemplates.get().of("wrenn-test"), "the build's template is removed");
        BuildCapsulesAction usage = b.getAction(BuildCapsulesAction.class);
        assertTrue(usage != null && !usage.getCapsules().isEmpty(), "usage recorded on the build");
    }

    @Test
    void theStagesRunOnAFreshCapsuleWithTheJenkinsfilesSettings(JenkinsRule j) throws Exception {
        cloud(j, true);
        WorkflowRun b = run(j, """
                pipeline {
                    agent {
                        wrenn {
                            inheritFrom 'wrenn'
                            vcpus 2
                            memoryMb 1024
                        }
                    }
                    stages {
                        stage('hi') {
                            steps {
                                sh 'echo hi-$((40+2)) on $NODE_NAME for $WRENN_AGENT_LABEL'
                            }
                        }
                    }
                }
                """, Result.SUCCESS);
        j.assertLogContains(
                "[wrenn] Wrenn agents of this block: agent template 'wrenn' of cloud wrenn-test, with"
                        + " vcpus 2 and memoryMb 1024 from this Jenkinsfile; their label is wrenn-p0-1-",
                b);
        j.assertLogContains("hi-42 on wrenn-wrenn-p0-1-", b);
        j.assertLogContains(" for wrenn-p0-1-", b);
        j.assertLogNotContains(WrennCloudJenkinsTest.KEY, b);
        String body = server.requests("POST", "/api/v1/capsules").getLast().body();
        assertTrue(body.contains("\"vcpus\":2") && body.contains("\"memory_mb\":1024"), body);
        assertTrue(body.contains("\"template\":\"java-21\""), "the template's own Wrenn template: " + body);
        assertTrue(
                body.contains("\"jenkins.job\":\"agent:wrenn-wrenn-p0-1-"),
                "labelled as the agent's capsule, as every agent of the cloud: " + body);
        assertCleanedUp(j, b);
    }

    @Test
    void theOneLineFormPicksTheAgentTemplateByItsWrennTemplate(JenkinsRule j) throws Exception {
        cloud(j, false);
        WorkflowRun b = run(j, """
                pipeline {
                    agent { wrenn template: 'java-21' }
                    stages {
                        stage('one') {
                            steps {
                                sh 'echo one-line-$((1+1))'
                            }
                        }
                    }
                }
                """, Result.SUCCESS);
        j.assertLogContains(
                "[wrenn] Wrenn agents of this block: agent template 'wrenn' of cloud wrenn-test; their label is", b);
        j.assertLogContains("one-line-2", b);
        assertCleanedUp(j, b);
    }

    @Test
    void aChangeTheTemplateDoesNotAllowFailsTheBuildBeforeAnyCapsule(JenkinsRule j) throws Exception {
        cloud(j, false);
        WorkflowRun b = run(j, """
                pipeline {
                    agent {
                        wrenn {
                            inheritFrom 'wrenn'
                            vcpus 4
                        }
                    }
                    stages {
                        stage('never') {
                            steps {
                                echo 'never here'
                            }
                        }
                    }
                }
                """, Result.FAILURE);
        j.assertLogContains(
                "Agent template 'wrenn' of Wrenn cloud wrenn-test does not allow Jenkinsfiles to override it, so this"
                        + " Jenkinsfile cannot change vcpus to 4 (the template's: the server's default): remove vcpus"
                        + " from the Jenkinsfile, or ask an administrator to turn on 'Allow Jenkinsfiles to override"
                        + " this template' in that agent template.",
                b);
        j.assertLogNotContains("never here", b);
        assertEquals(List.of(), server.requests("POST", "/api/v1/capsules"), "no capsule was made");
        assertEquals(List.of(), j.jenkins.getNodes(), "no agent was made");
        assertEquals(List.of(), PipelineAgentTemplates.get().of("wrenn-test"));
    }

    @Test
    void theDirectiveGeneratorWritesTheAgentBlock(JenkinsRule j) throws Exception {
        DirectiveGeneratorTester dg = new DirectiveGeneratorTester(j);
        WrennDeclarativeAgent agent = new WrennDeclarativeAgent();
        agent.setInheritFrom("python");
        agent.setVcpus(4);
        agent.setKeep("onFailure");
        dg.assertGenerateDirective(
                new AgentDirective(agent),
                "agent {\n"
                        + "  wrenn {\n"
                        + "    inheritFrom 'python'\n"
                        + "    keep 'onFailure'\n"
                        + "    vcpus 4\n"
                        + "  }\n"
                        + "}");
        WrennDeclarativeAgent byTemplate = new WrennDeclarativeAgent();
        byTemplate.setTemplate("python-3.12");
        dg.assertGenerateDirective(
                new AgentDirective(byTemplate),
                "agent {\n" + "  wrenn {\n" + "    template 'python-3.12'\n" + "  }\n" + "}");
    }
}
