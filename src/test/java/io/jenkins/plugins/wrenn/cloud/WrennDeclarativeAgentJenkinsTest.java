package io.jenkins.plugins.wrenn.cloud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hudson.ExtensionList;
import hudson.model.Result;
import hudson.model.TaskListener;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.capsules.BuildCapsulesAction;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
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
 * capsule runs the controller's real agent.jar over loopback), the capsule is gone afterwards, a
 * change the template does not allow fails the build before any capsule is made, and Declarative's
 * own customWorkspace and retries work as for its label agent.
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
    void theStagesRunInTheCustomWorkspaceInTheCapsule(JenkinsRule j) throws Exception {
        cloud(j, false);
        WorkflowRun b = run(j, """
                pipeline {
                    agent {
                        wrenn {
                            inheritFrom 'wrenn'
                            customWorkspace 'custom-ws'
                        }
                    }
                    stages {
                        stage('ws') {
                            steps {
                                sh 'test "$(basename "$PWD")" = custom-ws && echo in-the-custom-workspace'
                            }
                        }
                    }
                }
                """, Result.SUCCESS);
        j.assertLogContains("in-the-custom-workspace", b);
        assertCleanedUp(j, b);
    }

    @Test
    void retriesRunTheBlockAgainOnAFreshCapsuleWhenTheAgentIsLostMidBuild(JenkinsRule j) throws Exception {
        cloud(j, false);
        Path dir = Files.createTempDirectory("wrenn-retries");
        Path gate = dir.resolve("gate");
        try {
            WorkflowJob job = j.jenkins.createProject(WorkflowJob.class, "retried");
            job.setDefinition(new CpsFlowDefinition("""
                    pipeline {
                        agent {
                            wrenn {
                                inheritFrom 'wrenn'
                                retries 2
                            }
                        }
                        stages {
                            stage('lost') {
                                steps {
                                    sh 'echo "attempt on $NODE_NAME"; while [ ! -e GATE ]; do sleep 0.1; done; echo past-the-gate'
                                }
                            }
                        }
                    }
                    """.replace("GATE", gate.toString()), true));
            WorkflowRun b = job.scheduleBuild2(0).waitForStart();
            j.waitForMessage("attempt on wrenn-", b);
            Matcher m = WrennCloudJenkinsTest.CAPSULE.matcher(JenkinsRule.getLog(b));
            assertTrue(m.find(), "the build's log names its capsule");
            String lost = m.group(1);
            String agent = j.jenkins.getNodes().get(0).getNodeName();
            // The capsule is lost behind Jenkins' back, as with a failed host, and its agent with it.
            try (WrennClient client = WrennClient.builder(server.baseUrl(), WrennCloudJenkinsTest.KEY)
                    .build()) {
                client.capsules().destroy(lost);
            }
            // The watch looks every minute: here at once, until it has removed the agent.
            WrennAgentWatch watch = ExtensionList.lookupSingleton(WrennAgentWatch.class);
            Await.until(
                    () -> {
                        watch.execute(TaskListener.NULL);
                        return j.jenkins.getNode(agent) == null;
                    },
                    "the watch removes the agent whose capsule is gone");
            Files.createFile(gate);
            j.assertBuildStatusSuccess(j.waitForCompletion(b));
            j.assertLogContains("Retrying", b);
            j.assertLogContains("past-the-gate", b);
            Set<String> capsules = new LinkedHashSet<>();
            Matcher all = WrennCloudJenkinsTest.CAPSULE.matcher(JenkinsRule.getLog(b));
            while (all.find()) {
                capsules.add(all.group(1));
            }
            assertEquals(2, capsules.size(), "the second attempt ran on a fresh capsule: " + capsules);
            Await.until(() -> server.capsulesLeft().isEmpty(), "no capsule left: " + server.capsulesLeft());
            Await.until(() -> j.jenkins.getNodes().isEmpty(), "the agents are removed: " + j.jenkins.getNodes());
        } finally {
            Files.deleteIfExists(gate);
            Files.deleteIfExists(dir);
        }
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
