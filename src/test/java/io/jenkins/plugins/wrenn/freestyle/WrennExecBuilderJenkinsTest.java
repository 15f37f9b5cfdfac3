package io.jenkins.plugins.wrenn.freestyle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.cloudbees.plugins.credentials.CredentialsScope;
import com.cloudbees.plugins.credentials.SystemCredentialsProvider;
import hudson.model.FreeStyleBuild;
import hudson.model.FreeStyleProject;
import hudson.model.ParametersDefinitionProperty;
import hudson.model.PasswordParameterDefinition;
import hudson.model.Result;
import hudson.model.StringParameterDefinition;
import hudson.util.Secret;
import io.jenkins.plugins.wrenn.config.WrennGlobalConfiguration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

/** The freestyle step in a real Jenkins, against the local Wrenn-compatible server. Real build only. */
@WithJenkins
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class WrennExecBuilderJenkinsTest {

    static final String KEY = "wrn_jenkins_test_key_7c1d";

    WrennTestServer server;

    @BeforeEach
    void setUp() throws Exception {
        server = WrennTestServer.start(KEY);
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
    }

    void configure(JenkinsRule j) throws Exception {
        SystemCredentialsProvider.getInstance()
                .getCredentials()
                .add(new StringCredentialsImpl(
                        CredentialsScope.GLOBAL, "wrenn-key", "Wrenn API key", Secret.fromString(KEY)));
        WrennGlobalConfiguration config = WrennGlobalConfiguration.get();
        config.setApiUrl(server.baseUrl().toString());
        config.setDefaultCredentialsId("wrenn-key");
    }

    FreeStyleProject project(JenkinsRule j, String capsule, String command) throws Exception {
        FreeStyleProject p = j.createFreeStyleProject();
        p.getBuildersList().add(new WrennExecBuilder(capsule, command));
        return p;
    }

    @Test
    void streamsOutputAndSucceeds(JenkinsRule j) throws Exception {
        configure(j);
        String id = server.createCapsule();
        FreeStyleBuild b = j.buildAndAssertSuccess(project(j, id, "echo hello from $BUILD_NUMBER; echo to-stderr >&2"));
        j.assertLogContains("hello from 1", b);
        j.assertLogContains("to-stderr", b);
        // The plain log has no trace of the note; the HTML console marks standard error.
        j.assertLogNotContains("ha:", b);
        String html = j.createWebClient().getPage(b, "console").asXml();
        assertTrue(html.contains("wrenn-stderr"), html);
    }

    @Test
    void aBuildParameterReachesTheShellAsDataNeverAsCode(JenkinsRule j) throws Exception {
        configure(j);
        String injection = "x\"; echo INJECTED; echo \"";
        FreeStyleProject p = project(j, server.createCapsule(), "echo \"branch=$BRANCH\"; echo \"home=$HOME\"");
        p.addProperty(new ParametersDefinitionProperty(
                new StringParameterDefinition("BRANCH", injection),
                // A build variable named HOME: the capsule's own HOME stays its own.
                new StringParameterDefinition("HOME", "/home/from-a-build-parameter")));

        FreeStyleBuild b = j.buildAndAssertSuccess(p);

        j.assertLogContains("branch=" + injection, b);
        assertFalse(JenkinsRule.getLog(b).lines().anyMatch("INJECTED"::equals), JenkinsRule.getLog(b));
        j.assertLogNotContains("home=/home/from-a-build-parameter", b);
        // The header quotes the line as written, not the parameter's value.
        j.assertLogContains("[wrenn] Running \"echo \"branch=$BRANCH\"", b);
    }

    /**
     * A password parameter in a program's argument: the header line quotes the arguments after
     * expansion, and Jenkins masks no password parameter in a log by itself.
     */
    @Test
    void aPasswordParameterNeverReachesTheLog(JenkinsRule j) throws Exception {
        configure(j);
        String token = "tok-8d1e-not-for-the-log";
        WrennExecBuilder step = new WrennExecBuilder(server.createCapsule(), "echo");
        step.setShell(false);
        step.setArgs("--token\n$TOKEN");
        FreeStyleProject p = j.createFreeStyleProject();
        p.getBuildersList().add(step);
        p.addProperty(new ParametersDefinitionProperty(
                new PasswordParameterDefinition("TOKEN", Secret.fromString(token), null)));

        FreeStyleBuild b = j.buildAndAssertSuccess(p);

        j.assertLogNotContains(token, b);
        j.assertLogContains("[wrenn] Running \"echo --token ****\"", b);
        j.assertLogContains("--token ****", b);
    }

    @Test
    void failsOnExitCode3(JenkinsRule j) throws Exception {
        configure(j);
        FreeStyleBuild b = j.buildAndAssertStatus(Result.FAILURE, project(j, server.createCapsule(), "exit 3"));
        j.assertLogContains("The command exited with code 3.", b);
    }

    @Test
    void failsOnMissingAndPausedCapsules(JenkinsRule j) throws Exception {
        configure(j);
        FreeStyleBuild missing =
                j.buildAndAssertStatus(Result.FAILURE, project(j, "cl-0000000000000000000000000", "true"));
        j.assertLogContains("Capsule not found: cl-0000000000000000000000000", missing);

        String paused = server.createCapsule();
        server.setStatus(paused, "paused");
        FreeStyleBuild notRunning = j.buildAndAssertStatus(Result.FAILURE, project(j, paused, "true"));
        j.assertLogContains("is not running (status: paused) - start or resume it first", notRunning);
    }

    @Test
    void apiKeyNeverReachesTheLog(JenkinsRule j) throws Exception {
        configure(j);
        FreeStyleBuild b = j.buildAndAssertSuccess(project(j, server.createCapsule(), "echo key is " + KEY));
        j.assertLogNotContains(KEY, b);
        j.assertLogContains("key is ****", b);
    }

    @Test
    void unknownCredentialsAreNamed(JenkinsRule j) throws Exception {
        configure(j);
        FreeStyleProject p = j.createFreeStyleProject();
        WrennExecBuilder step = new WrennExecBuilder(server.createCapsule(), "true");
        step.setCredentialsId("no-such-id");
        p.getBuildersList().add(step);
        j.assertLogContains("'no-such-id' were not found", j.buildAndAssertStatus(Result.FAILURE, p));
    }

    @Test
    void configurationRoundTrips(JenkinsRule j) throws Exception {
        configure(j);
        FreeStyleProject p = j.createFreeStyleProject();
        WrennExecBuilder step = new WrennExecBuilder("cl-abc", "pytest -x");
        step.setCredentialsId("wrenn-key");
        step.setEnvs("A=1\nB=2");
        step.setCwd("/workspace");
        step.setTimeout(600);
        p.getBuildersList().add(step);
        p = j.configRoundtrip(p);
        j.assertEqualDataBoundBeans(step, p.getBuildersList().get(WrennExecBuilder.class));

        WrennGlobalConfiguration config = WrennGlobalConfiguration.get();
        j.configRoundtrip();
        assertEquals(server.baseUrl().toString(), config.getApiUrl());
        assertEquals("wrenn-key", config.getDefaultCredentialsId());
        assertTrue(config.getConnectTimeoutSeconds() > 0);
    }

    @Test
    void aLeftOverStopThatCannotBeConfirmedIsTriedAgainAtTheNextStartAndGivenUpAfterThree(JenkinsRule j)
            throws Exception {
        configure(j);
        j.createFreeStyleProject("f");
        // A Wrenn API that cannot be reached: no stop can be confirmed (port 9 has nobody listening).
        WrennGlobalConfiguration.get().setApiUrl("http://127.0.0.1:9");
        Path record = j.jenkins.getRootDir().toPath().resolve(FreestyleCommands.class.getName() + ".txt");

        Files.writeString(record, "f\twrenn-key\tcl-gone\t4242\t0\t/tmp/.wrenn-run-unreachable\n");
        FreestyleCommands.stopLeftOvers();
        awaitRecord(record, "f\twrenn-key\tcl-gone\t4242\t1\t/tmp/.wrenn-run-unreachable\n");

        // The third start that cannot confirm the stop gives the record up.
        Files.writeString(record, "f\twrenn-key\tcl-gone\t4242\t2\t/tmp/.wrenn-run-unreachable\n");
        FreestyleCommands.stopLeftOvers();
        awaitRecord(record, "");
    }

    /** The stop waits out its grace periods against the unreachable API: up to a minute here. */
    static void awaitRecord(Path record, String expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(record).equals(expected)) {
            if (System.nanoTime() > deadline) {
                assertEquals(expected, Files.readString(record), "the record of left-over commands");
            }
            Thread.sleep(100);
        }
    }
}
