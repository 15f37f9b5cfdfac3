package io.jenkins.plugins.wrenn.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.cloudbees.plugins.credentials.CredentialsScope;
import com.cloudbees.plugins.credentials.SystemCredentialsProvider;
import hudson.model.FreeStyleBuild;
import hudson.model.FreeStyleProject;
import hudson.model.Result;
import hudson.util.Secret;
import io.jenkins.plugins.wrenn.api.ExecRequest;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.config.WrennGlobalConfiguration;
import io.jenkins.plugins.wrenn.freestyle.FreestyleCommands;
import io.jenkins.plugins.wrenn.freestyle.WrennExecBuilder;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl;
import org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.JenkinsSessionExtension;

/**
 * {@code wrennExec} across controller restarts, and its abort and scale, in real Pipelines. The
 * Wrenn test server is started once for the class, so it outlives each restart, as a real capsule
 * outlives a restart of Jenkins.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class WrennExecStepRestartJenkinsTest {

    static final String KEY = "wrn_restart_key_7d04b";

    static WrennTestServer server;

    @RegisterExtension
    private final JenkinsSessionExtension sessions = new JenkinsSessionExtension();

    String capsule;

    /** Holds the gate file the numbered command waits for; removed after each test. */
    @TempDir
    Path gateDir;

    Path gate;

    @BeforeAll
    static void startServer() throws Exception {
        server = WrennTestServer.start(KEY);
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @BeforeEach
    void newCapsule() throws Exception {
        capsule = server.createCapsule();
        gate = gateDir.resolve("gate");
    }

    /** Configures Wrenn and the key, saved so that they survive the restart, and creates job p. */
    WorkflowJob pipeline(JenkinsRule j, String script) throws Exception {
        SystemCredentialsProvider.getInstance()
                .getCredentials()
                .add(new StringCredentialsImpl(CredentialsScope.GLOBAL, "wrenn-key", "Wrenn", Secret.fromString(KEY)));
        SystemCredentialsProvider.getInstance().save();
        WrennGlobalConfiguration.get().setApiUrl(server.baseUrl().toString());
        WrennGlobalConfiguration.get().setDefaultCredentialsId("wrenn-key");
        WrennGlobalConfiguration.get().save();
        WorkflowJob job = j.jenkins.createProject(WorkflowJob.class, "p");
        job.setDefinition(
                new CpsFlowDefinition(script.replace("CAPSULE", capsule).replace("GATE", gate.toString()), true));
        return job;
    }

    /** Numbered lines 1..40, waiting for the gate after line 20. */
    static final String NUMBERED = "i=1; while [ $i -le 40 ]; do echo line-$i; "
            + "[ $i -eq 20 ] && while [ ! -e GATE ]; do sleep 0.05; done; i=$((i+1)); done";

    static WorkflowRun build(JenkinsRule j) {
        return j.jenkins.getItemByFullName("p", WorkflowJob.class).getBuildByNumber(1);
    }

    /** Asserts that line-1 .. line-40 are each in the log exactly once, in order. */
    static void assertEveryLineOnce(String log) {
        List<String> lines = new ArrayList<>();
        for (String l : log.split("\n")) {
            if (l.matches("line-\\d+")) {
                lines.add(l);
            }
        }
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= 40; i++) {
            expected.add("line-" + i);
        }
        assertEquals(expected, lines, log);
    }

    @Test
    void aRestartDuringACommandContinuesItsLogAndEndsWithItsExitCode() throws Throwable {
        sessions.then(j -> {
            WorkflowJob job = pipeline(j, """
                    def code = wrennExec capsule: 'CAPSULE', cmd: 'NUMBERED; exit 3', returnStatus: true
                    echo "code=${code}"
                    """.replace("NUMBERED", NUMBERED));
            WorkflowRun b = job.scheduleBuild2(0).waitForStart();
            j.waitForMessage("line-20", b);
        });
        Files.createFile(gate);
        sessions.then(j -> {
            WorkflowRun b = build(j);
            j.assertBuildStatusSuccess(j.waitForCompletion(b));
            j.assertLogContains("resuming process", b);
            j.assertLogContains("code=3", b);
            assertEveryLineOnce(JenkinsRule.getLog(b));
            j.assertLogNotContains(KEY, b);
        });
    }

    @Test
    void aRestartBeforeTheCapsuleSaidThePidStillResumesTheCommand() throws Throwable {
        sessions.then(j -> {
            WorkflowJob job = pipeline(j, """
                    def code = wrennExec capsule: 'CAPSULE', cmd: 'NUMBERED; exit 3', returnStatus: true
                    echo "code=${code}"
                    """.replace("NUMBERED", NUMBERED));
            // The command runs at once; its pid comes back only after the restart has come.
            server.delayNextStartReply(Duration.ofSeconds(20));
            WorkflowRun b = job.scheduleBuild2(0).waitForStart();
            Await.until(() -> !server.processes(capsule).isEmpty(), "the command to run");
        });
        sessions.then(j -> {
            WorkflowRun b = build(j);
            // The gate opens only once the resumed step has found the wrapper by its control prefix:
            // opened earlier, the command would end while Jenkins is down, and the step would read
            // what it left from its files instead ("its process is no longer listed").
            j.waitForMessage("resuming process", b);
            Files.createFile(gate);
            j.assertBuildStatusSuccess(j.waitForCompletion(b));
            j.assertLogContains("code=3", b);
            assertEveryLineOnce(JenkinsRule.getLog(b));
        });
    }

    @Test
    void aCommandThatEndedWhileJenkinsWasDownDeliversTheRestOfItsOutput() throws Throwable {
        sessions.then(j -> {
            WorkflowJob job = pipeline(j, """
                    def out = wrennExec capsule: 'CAPSULE', cmd: 'echo began-$((2+2)) >&2; NUMBERED', returnStdout: true
                    echo "got ${out.readLines().size()} lines, last ${out.readLines().last()}"
                    """.replace("NUMBERED", NUMBERED));
            WorkflowRun b = job.scheduleBuild2(0).waitForStart();
            // Standard error is logged (standard output is returned): the command has started.
            j.waitForMessage("began-4", b);
        });
        Files.createFile(gate);
        Await.until(() -> server.processes(capsule).isEmpty(), "the command to end while Jenkins is down");
        sessions.then(j -> {
            WorkflowRun b = build(j);
            j.assertBuildStatusSuccess(j.waitForCompletion(b));
            j.assertLogContains("got 40 lines, last line-40", b);
        });
    }

    @Test
    void aFailingCommandFailsTheBuildAfterTheRestart() throws Throwable {
        sessions.then(j -> {
            WorkflowJob job =
                    pipeline(j, "wrennExec capsule: 'CAPSULE', cmd: 'NUMBERED; exit 4'".replace("NUMBERED", NUMBERED));
            WorkflowRun b = job.scheduleBuild2(0).waitForStart();
            j.waitForMessage("line-20", b);
        });
        Files.createFile(gate);
        sessions.then(j -> {
            WorkflowRun b = build(j);
            j.assertBuildStatus(Result.FAILURE, j.waitForCompletion(b));
            j.assertLogContains("The command exited with code 4.", b);
            assertEveryLineOnce(JenkinsRule.getLog(b));
        });
    }

    @Test
    void aBackgroundProcessAndItsCleanupSurviveTheRestart() throws Throwable {
        sessions.then(j -> {
            WorkflowJob job = pipeline(j, """
                    def srv = wrennExec capsule: 'CAPSULE', cmd: 'echo up; exec sleep 120', background: true,
                            waitFor: 'up', tag: 'srv'
                    wrennExec capsule: 'CAPSULE', cmd: 'echo waiting$((6*7)); while [ ! -e GATE ]; do sleep 0.1; done'
                    echo "srv=${srv.tag}"
                    """);
            WorkflowRun b = job.scheduleBuild2(0).waitForStart();
            // Text only the running command prints: the plugin's own lines quote the command line
            // ("waiting$((6*7))") and the first step's wait ("waiting up to 60 s"), never "waiting42".
            j.waitForMessage("waiting42", b);
        });
        Files.createFile(gate);
        sessions.then(j -> {
            WorkflowRun b = build(j);
            j.assertBuildStatusSuccess(j.waitForCompletion(b));
            j.assertLogContains("srv=srv", b);
            j.assertLogContains("stopping background process", b);
            Await.until(() -> server.processes(capsule).isEmpty(), "the background process to be stopped");
        });
    }

    @Test
    void anAbortCompletesOnlyOnceATermIgnorerIsGone() throws Throwable {
        sessions.then(j -> {
            WorkflowJob job = pipeline(j, """
                    wrennExec capsule: 'CAPSULE', cmd: "trap '' TERM; echo go\\$((1+1)); while :; do sleep 0.1; done"
                    """);
            WorkflowRun b = job.scheduleBuild2(0).waitForStart();
            j.waitForMessage("go2", b);
            b.doStop();
            j.assertBuildStatus(Result.ABORTED, j.waitForCompletion(b));
            // The step ended only after the process was gone: nothing is left when the build is over.
            assertTrue(server.processes(capsule).isEmpty(), "the process outlived the aborted step");
            j.assertLogContains("sending SIGKILL", b);
            j.assertLogContains("has stopped", b);
            j.assertLogNotContains("InterruptedException", b);
        });
    }

    @Test
    void aFreestyleCommandDoesNotOutliveARestart() throws Throwable {
        sessions.then(j -> {
            pipeline(j, "echo 'credentials and configuration only'");
            FreeStyleProject project = j.createFreeStyleProject("f");
            project.getBuildersList().add(new WrennExecBuilder(capsule, "echo go$((1+1)); sleep 120"));
            FreeStyleBuild b = project.scheduleBuild2(0).waitForStart();
            j.waitForMessage("go2", b);
            assertTrue(Files.readString(j.jenkins.getRootDir().toPath().resolve(RECORD))
                    .contains(capsule));
        });
        // Whichever way the build ended with the restart (its abort, or the record read when Jenkins
        // is back), the command is stopped and no longer recorded.
        sessions.then(j -> {
            Await.until(() -> server.processes(capsule).isEmpty(), "the freestyle command to be stopped");
            assertTrue(Files.readString(j.jenkins.getRootDir().toPath().resolve(RECORD))
                    .isBlank());
        });
    }

    @Test
    void aCommandLeftByACrashedFreestyleBuildIsStoppedWhenJenkinsComesBack() throws Throwable {
        long[] pid = {0};
        sessions.then(j -> {
            pipeline(j, "echo 'credentials and configuration only'");
            j.createFreeStyleProject("f");
            // What a freestyle build records before a crash: its job, credentials and command.
            try (WrennClient client = WrennClient.builder(server.baseUrl(), KEY).build()) {
                pid[0] = client.commands()
                        .startBackground(capsule, ExecRequest.background("sleep", List.of("120"), null, null, null))
                        .pid();
            }
            Files.writeString(
                    j.jenkins.getRootDir().toPath().resolve(RECORD),
                    "f\twrenn-key\t" + capsule + "\t" + pid[0] + "\t0\t/tmp/.wrenn-run-crashed\n");
        });
        assertEquals(1, server.processes(capsule).size());
        sessions.then(j -> Await.until(
                () -> server.processes(capsule).isEmpty(), "the left-over command " + pid[0] + " to be stopped"));
    }

    /** The file in JENKINS_HOME where freestyle builds record their running commands. */
    static final String RECORD = FreestyleCommands.class.getName() + ".txt";

    @Test
    void fiftyParallelBranchesEachGetTheirOutputAndExitCode() throws Throwable {
        sessions.then(j -> {
            WorkflowJob job = pipeline(j, """
                    def branches = [:]
                    for (int i = 0; i < 50; i++) {
                        def n = i
                        branches["b${n}"] = {
                            def code = wrennExec capsule: 'CAPSULE', cmd: "sleep 1; echo branch-${n}-out; exit ${n % 3}",
                                    returnStatus: true
                            echo "branch-${n}-code=${code}"
                        }
                    }
                    parallel branches
                    """);
            WorkflowRun b = j.buildAndAssertSuccess(job);
            for (int n = 0; n < 50; n++) {
                j.assertLogContains("branch-" + n + "-out", b);
                j.assertLogContains("branch-" + n + "-code=" + (n % 3), b);
            }
        });
    }
}
