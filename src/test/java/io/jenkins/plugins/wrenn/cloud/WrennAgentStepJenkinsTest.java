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
import org.jenkinsci.plugins.workflow.cps.SnippetizerTester;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

/** {@code wrennAgent(...) { node(WRENN_AGENT_LABEL) { ... } }}, the scripted form of {@code agent { wrenn { ... } }}. */
@WithJenkins
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class WrennAgentStepJenkinsTest {

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

    @Test
    void aNodeOfTheBlocksLabelRunsOnAFreshCapsuleThatIsGoneAfterwards(JenkinsRule j) throws Exception {
        WrennCloudJenkinsTest.cloud(j, server, WrennCloudJenkinsTest.thisJvm());
        // keep: 'never' is what the template has: no change, so allowed although the template allows none.
        WorkflowRun b = WrennDeclarativeAgentJenkinsTest.run(j, """
                wrennAgent(inheritFrom: 'wrenn', keep: 'never') {
                    echo "block label ${env.WRENN_AGENT_LABEL}"
                    node(WRENN_AGENT_LABEL) {
                        sh 'echo scripted-$((6*7)) on $NODE_NAME'
                    }
                }
                """, Result.SUCCESS);
        j.assertLogContains("block label wrenn-p0-1-", b);
        j.assertLogContains("scripted-42 on wrenn-wrenn-p0-1-", b);
        Matcher m = WrennCloudJenkinsTest.CAPSULE.matcher(JenkinsRule.getLog(b));
        assertTrue(m.find(), "the build's log names its capsule");
        String capsule = m.group(1);
        Await.until(() -> !server.capsulesLeft().contains(capsule), "capsule " + capsule + " is destroyed");
        Await.until(() -> j.jenkins.getNodes().isEmpty(), "the agent is removed: " + j.jenkins.getNodes());
        assertEquals(List.of(), PipelineAgentTemplates.get().of("wrenn-test"), "the block's template is removed");
        BuildCapsulesAction usage = b.getAction(BuildCapsulesAction.class);
        assertTrue(usage != null && !usage.getCapsules().isEmpty(), "usage recorded on the build");
    }

    @Test
    void aRefusalNamesTheFieldAndTheTemplateAndMakesNoCapsule(JenkinsRule j) throws Exception {
        WrennCloudJenkinsTest.cloud(j, server, WrennCloudJenkinsTest.thisJvm());
        WorkflowRun refused = WrennDeclarativeAgentJenkinsTest.run(
                j, "wrennAgent(inheritFrom: 'wrenn', template: 'python-3.12') { echo 'never here' }", Result.FAILURE);
        j.assertLogContains(
                "Agent template 'wrenn' of Wrenn cloud wrenn-test does not allow Jenkinsfiles to override it, so this"
                        + " Jenkinsfile cannot change template to python-3.12 (the template's: java-21)",
                refused);
        WorkflowRun unknown = WrennDeclarativeAgentJenkinsTest.run(
                j, "wrennAgent(inheritFrom: 'ruby') { echo 'never here' }", Result.FAILURE);
        j.assertLogContains(
                "No agent template has the label ruby (inheritFrom); the agent templates are 'wrenn' of cloud"
                        + " wrenn-test (template java-21).",
                unknown);
        WorkflowRun wrongWord = WrennDeclarativeAgentJenkinsTest.run(
                j, "wrennAgent(inheritFrom: 'wrenn', keep: 'sometimes') { echo 'never here' }", Result.FAILURE);
        j.assertLogContains(
                "keep must be never, onFailure or always (true and false still work), not \"sometimes\".", wrongWord);
        for (WorkflowRun b : List.of(refused, unknown, wrongWord)) {
            j.assertLogNotContains("never here", b);
        }
        assertEquals(List.of(), server.requests("POST", "/api/v1/capsules"), "no capsule was made");
    }

    @Test
    void theSnippetGeneratorWritesTheBlock(JenkinsRule j) throws Exception {
        SnippetizerTester st = new SnippetizerTester(j);
        WrennAgentStep step = new WrennAgentStep();
        step.setInheritFrom("python");
        step.setVcpus(4);
        step.setMemoryMb(8192);
        st.assertRoundTrip(step, "wrennAgent(inheritFrom: 'python', memoryMb: 8192, vcpus: 4) {\n    // some block\n}");
        WrennAgentStep byTemplate = new WrennAgentStep();
        byTemplate.setCloud("wrenn-gpu");
        byTemplate.setTemplate("cuda-12");
        byTemplate.setKeep("onFailure");
        st.assertRoundTrip(
                byTemplate,
                "wrennAgent(cloud: 'wrenn-gpu', keep: 'onFailure', template: 'cuda-12') {\n    // some block\n}");
        SnippetizerTester.assertDocGeneration(WrennAgentStep.class);
    }
}
