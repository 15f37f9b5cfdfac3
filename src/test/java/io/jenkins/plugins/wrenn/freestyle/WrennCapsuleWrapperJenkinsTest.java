package io.jenkins.plugins.wrenn.freestyle;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.cloudbees.plugins.credentials.CredentialsScope;
import com.cloudbees.plugins.credentials.SystemCredentialsProvider;
import hudson.model.FreeStyleBuild;
import hudson.model.FreeStyleProject;
import hudson.model.Result;
import hudson.util.Secret;
import io.jenkins.plugins.wrenn.config.WrennGlobalConfiguration;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

/** The freestyle build environment "Run this build's Wrenn steps in a fresh capsule". Real build only. */
@WithJenkins
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class WrennCapsuleWrapperJenkinsTest {

    static final String KEY = "wrn_capsule_wrapper_key_0b7e";
    static final Pattern CREATED = Pattern.compile("Created capsule (cl-[0-9a-z]+)");

    WrennTestServer server;

    @BeforeEach
    void setUp() throws Exception {
        server = WrennTestServer.start(KEY);
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
    }

    FreeStyleProject project(JenkinsRule j, WrennCapsuleWrapper wrapper, String command) throws Exception {
        SystemCredentialsProvider.getInstance()
                .getCredentials()
                .add(new StringCredentialsImpl(
                        CredentialsScope.GLOBAL, "wrenn-key", "Wrenn API key", Secret.fromString(KEY)));
        WrennGlobalConfiguration.get().setApiUrl(server.baseUrl().toString());
        WrennGlobalConfiguration.get().setDefaultCredentialsId("wrenn-key");
        FreeStyleProject p = j.createFreeStyleProject();
        p.getBuildWrappersList().add(wrapper);
        p.getBuildersList().add(new WrennExecBuilder("", command));
        return p;
    }

    static String createdIn(FreeStyleBuild b) throws Exception {
        Matcher m = CREATED.matcher(JenkinsRule.getLog(b));
        assertTrue(m.find(), "the log names the created capsule");
        return m.group(1);
    }

    @Test
    void aBuildStepWithoutCapsuleRunsInTheFreshCapsuleWhichIsDestroyed(JenkinsRule j) throws Exception {
        WrennCapsuleWrapper wrapper = new WrennCapsuleWrapper();
        wrapper.setTemplate("python-3.12");
        FreeStyleBuild b = j.buildAndAssertSuccess(project(j, wrapper, "echo fresh-$((6*7)) in $WRENN_CAPSULE"));
        String id = createdIn(b);
        j.assertLogContains("fresh-42 in " + id, b);
        j.assertLogContains("Destroyed capsule " + id, b);
        j.assertLogNotContains(KEY, b);
        Await.until(() -> server.capsulesLeft().equals(List.of()), "capsules left: " + server.capsulesLeft());
    }

    @Test
    void aFailingBuildStepStillDestroysTheCapsule(JenkinsRule j) throws Exception {
        FreeStyleBuild b = j.buildAndAssertStatus(Result.FAILURE, project(j, new WrennCapsuleWrapper(), "exit 3"));
        j.assertLogContains("The command exited with code 3.", b);
        j.assertLogContains("Destroyed capsule " + createdIn(b), b);
        Await.until(() -> server.capsulesLeft().equals(List.of()), "capsules left: " + server.capsulesLeft());
    }

    @Test
    void anAbortedBuildStillDestroysTheCapsule(JenkinsRule j) throws Exception {
        FreeStyleProject p = project(j, new WrennCapsuleWrapper(), "echo go$((1+1)); sleep 60");
        FreeStyleBuild b = p.scheduleBuild2(0).waitForStart();
        j.waitForMessage("go2", b);
        b.getExecutor().interrupt();
        j.assertBuildStatus(Result.ABORTED, j.waitForCompletion(b));
        j.assertLogContains("Destroyed capsule " + createdIn(b), b);
        Await.until(() -> server.capsulesLeft().equals(List.of()), "capsules left: " + server.capsulesLeft());
    }

    @Test
    void aCreateRefusalFailsTheBuildWithWhatToDo(JenkinsRule j) throws Exception {
        server.failNextWithError("POST", "/api/v1/capsules", 403, "forbidden", "Capsule limit reached.", false);
        FreeStyleBuild b =
                j.buildAndAssertStatus(Result.FAILURE, project(j, new WrennCapsuleWrapper(), "echo never-$((1+1))"));
        j.assertLogContains("did not let credentials wrenn-key create a capsule", b);
        j.assertLogNotContains("never-2", b);
    }

    @Test
    void theFormKeepsEveryOption(JenkinsRule j) throws Exception {
        WrennCapsuleWrapper wrapper = new WrennCapsuleWrapper();
        wrapper.setTemplate("python-3.12");
        wrapper.setVcpus(2);
        wrapper.setMemoryMb(2048);
        wrapper.setTimeoutSec(600);
        wrapper.setWaitTimeout(120);
        wrapper.setKeep("onFailure");
        FreeStyleProject p = project(j, wrapper, "true");
        j.configRoundtrip(p);
        j.assertEqualDataBoundBeans(wrapper, p.getBuildWrappersList().get(WrennCapsuleWrapper.class));
    }
}
