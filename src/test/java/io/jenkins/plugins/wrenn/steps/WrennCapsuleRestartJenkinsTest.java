package io.jenkins.plugins.wrenn.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.cloudbees.plugins.credentials.CredentialsScope;
import com.cloudbees.plugins.credentials.SystemCredentialsProvider;
import hudson.model.Result;
import hudson.util.Secret;
import io.jenkins.plugins.wrenn.config.WrennGlobalConfiguration;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.CreateFault;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.time.Duration;
import java.util.List;
import org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl;
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
 * A controller restart while the body of {@code wrennCapsule} runs: the build resumes inside the
 * block, and the capsule is still destroyed when the block ends; while the capsule is still
 * starting: the step gives it back and fails; while the capsule is being given back: the give-back
 * is redone and the step ends as its body did. The test server outlives the
 * restart, as a real Wrenn service would.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class WrennCapsuleRestartJenkinsTest {

    static final String KEY = "wrn_capsule_restart_key_9d04";

    static WrennTestServer server;

    @RegisterExtension
    private final JenkinsSessionExtension sessions = new JenkinsSessionExtension();

    @BeforeAll
    static void startServer() throws Exception {
        server = WrennTestServer.start(KEY);
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    /** Credentials and configuration, saved so that they outlive the restart. */
    static void configure() throws Exception {
        SystemCredentialsProvider.getInstance()
                .getCredentials()
                .add(new StringCredentialsImpl(CredentialsScope.GLOBAL, "wrenn-key", "Wrenn", Secret.fromString(KEY)));
        SystemCredentialsProvider.getInstance().save();
        WrennGlobalConfiguration.get().setApiUrl(server.baseUrl().toString());
        WrennGlobalConfiguration.get().setDefaultCredentialsId("wrenn-key");
    }

    @Test
    void theCapsuleIsDestroyedWhenTheResumedBlockEnds() throws Throwable {
        sessions.then(j -> {
            configure();
            WorkflowJob p = j.jenkins.createProject(WorkflowJob.class, "p");
            // sleep survives a restart; the restart happens while it waits, inside the block.
            p.setDefinition(new CpsFlowDefinition("""
                    wrennCapsule {
                        echo "before restart in ${env.WRENN_CAPSULE}"
                        sleep 15
                        wrennExec cmd: 'echo after-restart-$((3+4))'
                        echo "still in ${env.WRENN_CAPSULE}"
                    }
                    """, true));
            WorkflowRun b = p.scheduleBuild2(0).waitForStart();
            j.waitForMessage("before restart in cl-", b);
            assertEquals(1, server.capsulesLeft().size(), "one capsule while the block runs");
        });
        sessions.then(j -> {
            WorkflowRun b = j.jenkins.getItemByFullName("p", WorkflowJob.class).getBuildByNumber(1);
            j.assertBuildStatusSuccess(j.waitForCompletion(b));
            j.assertLogContains("after-restart-7", b);
            j.assertLogContains("Destroyed capsule", b);
            Await.until(() -> server.capsulesLeft().equals(List.of()), "no capsule left");
            assertTrue(JenkinsRule.getLog(b).contains("still in cl-"), "the block's context survived the restart");
        });
    }

    @Test
    void aRestartWhileTheCapsuleStartsGivesItBackAndFailsTheStep() throws Throwable {
        sessions.then(j -> {
            configure();
            server.failNextCreate(CreateFault.NEVER_RUNNING);
            WorkflowJob p = j.jenkins.createProject(WorkflowJob.class, "q");
            p.setDefinition(new CpsFlowDefinition("""
                    wrennCapsule(waitTimeout: 300) {
                        echo 'never here'
                    }
                    """, true));
            WorkflowRun b = p.scheduleBuild2(0).waitForStart();
            j.waitForMessage("Created capsule cl-", b);
            assertEquals(1, server.capsulesLeft().size(), "the capsule exists while it starts");
        });
        sessions.then(j -> {
            WorkflowRun b = j.jenkins.getItemByFullName("q", WorkflowJob.class).getBuildByNumber(1);
            j.assertBuildStatus(Result.FAILURE, j.waitForCompletion(b));
            j.assertLogContains("The controller restarted while capsule cl-", b);
            j.assertLogNotContains("never here", b);
            Await.until(() -> server.capsulesLeft().equals(List.of()), "no capsule left");
        });
    }

    @Test
    void aRestartWhileTheCapsuleIsGivenBackRedoesTheGiveBackAndTheStepEndsAsItsBodyDid() throws Throwable {
        sessions.then(j -> {
            configure();
            WorkflowJob p = j.jenkins.createProject(WorkflowJob.class, "r");
            p.setDefinition(new CpsFlowDefinition("""
                    def r = wrennCapsule {
                        echo "body in ${env.WRENN_CAPSULE}"
                        'body-result'
                    }
                    echo "the block returned ${r}"
                    """, true));
            // The give-back's first call, the read of what the capsule cost, is slow: the restart falls into it.
            server.delayNext("GET", "/api/v1/capsules/[^/]+/metrics", Duration.ofSeconds(8));
            WorkflowRun b = p.scheduleBuild2(0).waitForStart();
            j.waitForMessage("body in cl-", b);
            Await.until(
                    () -> !server.requests("GET", "/api/v1/capsules/[^/]+/metrics")
                            .isEmpty(),
                    "the give-back has started");
        });
        sessions.then(j -> {
            WorkflowRun b = j.jenkins.getItemByFullName("r", WorkflowJob.class).getBuildByNumber(1);
            j.assertBuildStatusSuccess(j.waitForCompletion(b));
            j.assertLogContains("the block returned body-result", b);
            Await.until(() -> server.capsulesLeft().equals(List.of()), "no capsule left");
        });
    }
}
