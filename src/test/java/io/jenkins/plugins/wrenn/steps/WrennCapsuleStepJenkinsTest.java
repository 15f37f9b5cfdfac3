package io.jenkins.plugins.wrenn.steps;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.cloudbees.plugins.credentials.CredentialsScope;
import com.cloudbees.plugins.credentials.SystemCredentialsProvider;
import hudson.model.Result;
import hudson.util.Secret;
import io.jenkins.plugins.wrenn.config.WrennGlobalConfiguration;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.CreateFault;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl;
import org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition;
import org.jenkinsci.plugins.workflow.cps.SnippetizerTester;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

/** {@code wrennCapsule { }} in real Pipelines: the capsule is made, used by the steps inside, and always destroyed. */
@WithJenkins
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class WrennCapsuleStepJenkinsTest {

    static final String KEY = "wrn_capsule_block_key_51c2";
    static final Pattern CREATED = Pattern.compile("Created capsule (cl-[0-9a-z]+)");

    WrennTestServer server;
    String existing;

    @BeforeEach
    void setUp() throws Exception {
        server = WrennTestServer.start(KEY, ServerGeneration.CURRENT);
        server.setTransitionDelay(Duration.ofMillis(300));
        existing = server.createCapsule();
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
    }

    WorkflowJob pipeline(JenkinsRule j, String script) throws Exception {
        SystemCredentialsProvider.getInstance()
                .getCredentials()
                .add(new StringCredentialsImpl(CredentialsScope.GLOBAL, "wrenn-key", "Wrenn", Secret.fromString(KEY)));
        WrennGlobalConfiguration.get().setApiUrl(server.baseUrl().toString());
        WrennGlobalConfiguration.get().setDefaultCredentialsId("wrenn-key");
        WorkflowJob job = j.jenkins.createProject(
                WorkflowJob.class, "p" + j.jenkins.getItems().size());
        job.setDefinition(new CpsFlowDefinition(script.replace("EXISTING", existing), true));
        return job;
    }

    static String createdIn(WorkflowRun b) throws Exception {
        Matcher m = CREATED.matcher(JenkinsRule.getLog(b));
        assertTrue(m.find(), "the log names the created capsule");
        return m.group(1);
    }

    void assertOnlyTheExistingCapsuleIsLeft() throws Exception {
        Await.until(() -> server.capsulesLeft().equals(List.of(existing)), "capsules left: " + server.capsulesLeft());
    }

    @Test
    void nestedStepsRunInTheFreshCapsuleWhichIsDestroyedAtTheEnd(JenkinsRule j) throws Exception {
        WorkflowRun b = j.buildAndAssertSuccess(pipeline(j, """
                wrennCapsule(template: 'python-3.12', vcpus: 2, memoryMb: 2048) {
                    wrennExec cmd: 'echo inside-$((40+2))'
                    echo "capsule=${env.WRENN_CAPSULE}"
                    wrennExec capsule: 'EXISTING', cmd: 'echo elsewhere-$((1+1))'
                }
                """));
        String id = createdIn(b);
        j.assertLogContains("inside-42", b);
        j.assertLogContains("elsewhere-2", b);
        j.assertLogContains("capsule=" + id, b);
        j.assertLogContains("Capsule " + id + " is running (after ", b);
        j.assertLogContains("Destroyed capsule " + id, b);
        j.assertLogNotContains(KEY, b);
        assertFalse(
                server.requests("WS", "/api/v1/capsules/" + id + "/exec/stream").isEmpty());
        assertFalse(server.requests("WS", "/api/v1/capsules/" + existing + "/exec/stream")
                .isEmpty());
        String body = server.requests("POST", "/api/v1/capsules").getLast().body();
        assertTrue(body.contains("\"template\":\"python-3.12\"") && body.contains("\"memory_mb\":2048"), body);
        assertOnlyTheExistingCapsuleIsLeft();
    }

    @Test
    void theRemoteCommandFindsTheCapsuleIdInWrennSandboxId(JenkinsRule j) throws Exception {
        // env.WRENN_CAPSULE is the Pipeline's; the capsule's daemon gives every process its id as
        // WRENN_SANDBOX_ID, which the step's help points to.
        WorkflowRun b = j.buildAndAssertSuccess(pipeline(j, """
                wrennCapsule {
                    wrennExec cmd: 'echo "remote=[$WRENN_SANDBOX_ID] pipeline-only=[$WRENN_CAPSULE]"'
                }
                """));
        j.assertLogContains("remote=[" + createdIn(b) + "] pipeline-only=[]", b);
    }

    @Test
    void aFailureInsideStillDestroysTheCapsule(JenkinsRule j) throws Exception {
        WorkflowRun b = j.buildAndAssertStatus(
                Result.FAILURE, pipeline(j, "wrennCapsule(template: 'base') { wrennExec cmd: 'exit 3' }"));
        j.assertLogContains("The command exited with code 3.", b);
        j.assertLogContains("Destroyed capsule " + createdIn(b), b);
        assertOnlyTheExistingCapsuleIsLeft();
    }

    @Test
    void anAbortInsideDestroysTheCapsuleAndShowsAborted(JenkinsRule j) throws Exception {
        WorkflowRun b = pipeline(j, "wrennCapsule { wrennExec cmd: 'echo go$((1+1)); sleep 60' }")
                .scheduleBuild2(0)
                .waitForStart();
        j.waitForMessage("go2", b);
        b.doStop();
        j.assertBuildStatus(Result.ABORTED, j.waitForCompletion(b));
        j.assertLogContains("Destroyed capsule " + createdIn(b), b);
        assertOnlyTheExistingCapsuleIsLeft();
    }

    @Test
    void aTimeoutAroundTheBlockDestroysTheCapsule(JenkinsRule j) throws Exception {
        WorkflowRun b = j.buildAndAssertStatus(
                Result.ABORTED,
                pipeline(j, "timeout(time: 5, unit: 'SECONDS') { wrennCapsule { wrennExec cmd: 'sleep 60' } }"));
        j.assertLogContains("Destroyed capsule " + createdIn(b), b);
        assertOnlyTheExistingCapsuleIsLeft();
    }

    @Test
    void anAbortWhileWaitingForTheCapsuleDestroysIt(JenkinsRule j) throws Exception {
        server.failNextCreate(CreateFault.NEVER_RUNNING);
        WorkflowRun b = pipeline(j, "wrennCapsule { echo 'never here' }")
                .scheduleBuild2(0)
                .waitForStart();
        j.waitForMessage("Created capsule", b);
        b.doStop();
        j.assertBuildStatus(Result.ABORTED, j.waitForCompletion(b));
        j.assertLogNotContains("never here", b);
        Await.until(() -> JenkinsRule.getLog(b).contains("Destroyed capsule"), "the capsule destroyed");
        assertOnlyTheExistingCapsuleIsLeft();
    }

    @Test
    void anUnknownTemplateFailsWithWhatToDo(JenkinsRule j) throws Exception {
        server.failNextWithError("POST", "/api/v1/capsules", 404, "template_not_found", "Template not found.", false);
        WorkflowRun b = j.buildAndAssertStatus(
                Result.FAILURE, pipeline(j, "wrennCapsule(template: 'nope') { echo 'never here' }"));
        j.assertLogContains("Template not found: the Wrenn server has no template nope", b);
        j.assertLogNotContains("never here", b);
        j.assertLogNotContains("\tat ", b);
        assertOnlyTheExistingCapsuleIsLeft();
    }

    @Test
    void anExistingCapsuleIsResumedAndPausedAgainButNeverDestroyed(JenkinsRule j) throws Exception {
        server.setStatus(existing, "paused");
        WorkflowRun b = j.buildAndAssertSuccess(pipeline(j, """
                wrennCapsule(capsule: 'EXISTING', resume: true, pauseAfter: true) {
                    wrennExec cmd: 'echo resumed-$((2+2))'
                }
                """));
        j.assertLogContains("resumed-4", b);
        j.assertLogContains("Using capsule " + existing + " (status: paused)", b);
        j.assertLogContains("Paused capsule " + existing, b);
        Await.until(() -> "paused".equals(server.status(existing)), "paused again");
        assertTrue(server.requests("DELETE", "/api/v1/capsules/" + existing).isEmpty());
    }

    @Test
    void backgroundProcessesGoWithTheDestroyedCapsuleWithoutACleanUpError(JenkinsRule j) throws Exception {
        WorkflowRun b =
                j.buildAndAssertSuccess(pipeline(j, "wrennCapsule { wrennExec cmd: 'sleep 60', background: true }"));
        j.assertLogContains("Destroyed capsule " + createdIn(b), b);
        j.assertLogNotContains("stopping background process", b);
        j.assertLogNotContains("Could not stop background process", b);
        assertOnlyTheExistingCapsuleIsLeft();
    }

    @Test
    void keepAlwaysKeepsTheCapsulePausedAndPrintsItsId(JenkinsRule j) throws Exception {
        WorkflowRun b = j.buildAndAssertSuccess(pipeline(j, "wrennCapsule(keep: 'always') { echo 'kept' }"));
        String id = createdIn(b);
        j.assertLogContains("Keeping capsule " + id + " (keep: always)", b);
        Await.until(() -> "paused".equals(server.status(id)), "kept, paused");
    }

    @Test
    void theSnippetGeneratorWritesTheBlock(JenkinsRule j) throws Exception {
        SnippetizerTester st = new SnippetizerTester(j);
        WrennCapsuleStep step = new WrennCapsuleStep();
        step.setTemplate("python-3.12");
        step.setVcpus(2);
        step.setMemoryMb(2048);
        st.assertRoundTrip(
                step, "wrennCapsule(memoryMb: 2048, template: 'python-3.12', vcpus: 2) {\n    // some block\n}");
        WrennCapsuleStep existingStep = new WrennCapsuleStep();
        existingStep.setCapsule("cl-abc");
        existingStep.setResume(true);
        existingStep.setPauseAfter(true);
        st.assertRoundTrip(
                existingStep,
                "wrennCapsule(capsule: 'cl-abc', pauseAfter: true, resume: true) {\n    // some block\n}");
        WrennCapsuleStep keptStep = new WrennCapsuleStep();
        keptStep.setKeep("onFailure");
        st.assertRoundTrip(keptStep, "wrennCapsule(keep: 'onFailure') {\n    // some block\n}");
        SnippetizerTester.assertDocGeneration(WrennCapsuleStep.class);
    }
}
