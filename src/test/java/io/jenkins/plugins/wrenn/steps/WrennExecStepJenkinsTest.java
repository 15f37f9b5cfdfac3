package io.jenkins.plugins.wrenn.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.cloudbees.plugins.credentials.CredentialsScope;
import com.cloudbees.plugins.credentials.SystemCredentialsProvider;
import hudson.model.Result;
import hudson.util.Secret;
import io.jenkins.plugins.wrenn.config.WrennGlobalConfiguration;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl;
import org.jenkinsci.plugins.workflow.actions.ArgumentsAction;
import org.jenkinsci.plugins.workflow.actions.LabelAction;
import org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition;
import org.jenkinsci.plugins.workflow.cps.SnippetizerTester;
import org.jenkinsci.plugins.workflow.graph.FlowNode;
import org.jenkinsci.plugins.workflow.graph.StepNode;
import org.jenkinsci.plugins.workflow.graphanalysis.DepthFirstScanner;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

/** {@code wrennExec} and {@code wrennKill} in real Pipelines, against the local Wrenn-compatible server. */
@WithJenkins
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class WrennExecStepJenkinsTest {

    static final String KEY = "wrn_pipeline_key_3e8a";

    WrennTestServer server;
    String capsule;

    @BeforeEach
    void setUp() throws Exception {
        server = WrennTestServer.start(KEY);
        capsule = server.createCapsule();
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
        job.setDefinition(new CpsFlowDefinition(script.replace("CAPSULE", capsule), true));
        return job;
    }

    @Test
    void theMinimalFormWorksAsWritten(JenkinsRule j) throws Exception {
        WorkflowRun b =
                j.buildAndAssertSuccess(pipeline(j, "wrennExec capsule: 'CAPSULE', cmd: 'echo hello pipeline'"));
        j.assertLogContains("hello pipeline", b);
        j.assertLogNotContains(KEY, b);
    }

    @Test
    void returnStdoutAndReturnStatusBehaveLikeSh(JenkinsRule j) throws Exception {
        WorkflowRun b = j.buildAndAssertSuccess(pipeline(j, """
                def out = wrennExec capsule: 'CAPSULE', cmd: 'echo result; echo progress >&2', returnStdout: true
                echo "got [${out.trim()}]"
                def code = wrennExec capsule: 'CAPSULE', cmd: 'exit 3', returnStatus: true
                echo "code ${code}"
                """));
        j.assertLogContains("got [result]", b);
        j.assertLogContains("progress", b);
        j.assertLogContains("code 3", b);
        j.assertLogContains(
                "use one or the other",
                j.buildAndAssertStatus(
                        Result.FAILURE,
                        pipeline(
                                j,
                                "wrennExec capsule: 'CAPSULE', cmd: 'true', returnStdout: true, returnStatus: true")));
    }

    @Test
    void returnStdoutWithANonZeroExitShowsTheOutputBeforeFailingLikeSh(JenkinsRule j) throws Exception {
        // The output (partial-42) differs from the command's text, which the log's header line shows.
        WorkflowRun b = j.buildAndAssertStatus(
                Result.FAILURE,
                pipeline(
                        j,
                        "def out = wrennExec capsule: 'CAPSULE', returnStdout: true,"
                                + " cmd: 'echo partial-$((40+2)); exit 2'"));
        j.assertLogContains("partial-42", b);
        j.assertLogContains("The command exited with code 2.", b);
    }

    @Test
    void envsTakeNumbersBooleansAndGroovyStrings(JenkinsRule j) throws Exception {
        WorkflowRun b = j.buildAndAssertSuccess(pipeline(j, """
                def host = 'example'
                wrennExec capsule: 'CAPSULE', cmd: 'echo "port=$PORT debug=$DEBUG url=$URL"',
                        envs: [PORT: 8080, DEBUG: true, URL: "http://${host}"]
                """));
        j.assertLogContains("port=8080 debug=true url=http://example", b);
    }

    @Test
    void anEnvsValueOfNullIsAClearErrorNamingTheVariable(JenkinsRule j) throws Exception {
        WorkflowRun b = j.buildAndAssertStatus(
                Result.FAILURE, pipeline(j, "wrennExec capsule: 'CAPSULE', cmd: 'true', envs: [TOKEN: null]"));
        j.assertLogContains("The environment variable TOKEN in envs has no value (null)", b);
        j.assertLogNotContains("Exception", b);
        j.assertLogNotContains("\tat ", b);
    }

    @Test
    void theLabelNamesTheStepInThePipelineGraphCutLikeSh(JenkinsRule j) throws Exception {
        String longLabel = "y".repeat(WrennExecStep.MAX_LABEL_LENGTH + 20);
        WorkflowRun b = j.buildAndAssertSuccess(pipeline(
                j,
                "wrennExec capsule: 'CAPSULE', cmd: 'true', label: 'Unit tests'\n"
                        + "wrennExec capsule: 'CAPSULE', cmd: 'true', label: '" + longLabel + "'\n"
                        + "wrennExec capsule: 'CAPSULE', cmd: 'true'"));
        Set<String> labels = new TreeSet<>();
        int steps = 0;
        for (FlowNode node : new DepthFirstScanner().allNodes(b.getExecution())) {
            if (node instanceof StepNode step && step.getDescriptor() instanceof WrennExecStep.DescriptorImpl) {
                steps++;
                LabelAction label = node.getAction(LabelAction.class);
                if (label != null) {
                    labels.add(label.getDisplayName());
                }
            }
        }
        assertEquals(3, steps);
        assertEquals(new TreeSet<>(Set.of("Unit tests", "y".repeat(WrennExecStep.MAX_LABEL_LENGTH))), labels);
    }

    @Test
    void thePipelineStepsViewShowsWhichProcessWrennKillStops(JenkinsRule j) throws Exception {
        WorkflowRun b = j.buildAndAssertSuccess(pipeline(j, """
                wrennExec capsule: 'CAPSULE', cmd: 'sleep 60', background: true, tag: 'web'
                wrennKill capsule: 'CAPSULE', tag: 'web', signal: 'SIGKILL'
                """));
        List<String> shown = new ArrayList<>();
        for (FlowNode node : new DepthFirstScanner().allNodes(b.getExecution())) {
            if (node instanceof StepNode step && step.getDescriptor() instanceof WrennKillStep.DescriptorImpl) {
                shown.add(ArgumentsAction.getStepArgumentsAsString(node));
            }
        }
        assertEquals(List.of("tag web, SIGKILL"), shown);
    }

    @Test
    void failuresCarryTheEnginesMessages(JenkinsRule j) throws Exception {
        j.assertLogContains(
                "The command exited with code 3.",
                j.buildAndAssertStatus(Result.FAILURE, pipeline(j, "wrennExec capsule: 'CAPSULE', cmd: 'exit 3'")));
        j.assertLogContains(
                "Capsule not found: cl-0000000000000000000000000",
                j.buildAndAssertStatus(
                        Result.FAILURE, pipeline(j, "wrennExec capsule: 'cl-0000000000000000000000000', cmd: 'true'")));
        server.setStatus(capsule, "paused");
        j.assertLogContains(
                "is not running (status: paused) - start or resume it first",
                j.buildAndAssertStatus(Result.FAILURE, pipeline(j, "wrennExec capsule: 'CAPSULE', cmd: 'true'")));
    }

    @Test
    void abortStopsTheRemoteProcessAndShowsAborted(JenkinsRule j) throws Exception {
        // "go2" is the command's output, not its text, which the log's header line shows.
        WorkflowJob job = pipeline(j, "wrennExec capsule: 'CAPSULE', cmd: 'echo go$((1+1)); sleep 60'");
        WorkflowRun b = job.scheduleBuild2(0).waitForStart();
        j.waitForMessage("go2", b);
        b.doStop();
        j.assertBuildStatus(Result.ABORTED, j.waitForCompletion(b));
        Await.until(() -> server.processes(capsule).isEmpty(), "the remote process to be stopped");
        j.assertLogNotContains("InterruptedException", b);
    }

    @Test
    void anAbortEndsQuietlyLikeShWithoutAStackTrace(JenkinsRule j) throws Exception {
        // Jenkins prints what the step's thread adds to the abort cause when the build ends. Catching the
        // abort and waiting before rethrowing it makes the build end after that thread, every time.
        WorkflowJob job = pipeline(j, """
                try {
                    wrennExec capsule: 'CAPSULE', cmd: 'echo go$((1+1)); sleep 60'
                } catch (e) {
                    sleep 3
                    throw e
                }
                """);
        WorkflowRun b = job.scheduleBuild2(0).waitForStart();
        j.waitForMessage("go2", b);
        b.doStop();
        j.assertBuildStatus(Result.ABORTED, j.waitForCompletion(b));
        j.assertLogContains("aborted; stopping the process", b);
        j.assertLogNotContains("InterruptedException", b);
        j.assertLogNotContains("\tat ", b);
        Await.until(() -> server.processes(capsule).isEmpty(), "the remote process to be stopped");
    }

    @Test
    void timeoutBlockAbortsAndStopsTheProcess(JenkinsRule j) throws Exception {
        WorkflowRun b = j.buildAndAssertStatus(
                Result.ABORTED,
                pipeline(j, "timeout(time: 3, unit: 'SECONDS') { wrennExec capsule: 'CAPSULE', cmd: 'sleep 60' }"));
        assertTrue(b.getDuration() < 30_000, "took " + b.getDuration() + " ms");
        Await.until(() -> server.processes(capsule).isEmpty(), "the remote process to be stopped");
        j.assertLogNotContains("InterruptedException", b);
    }

    @Test
    void backgroundServerWaitAndKill(JenkinsRule j) throws Exception {
        WorkflowRun b = j.buildAndAssertSuccess(pipeline(j, """
                def srv = wrennExec capsule: 'CAPSULE', cmd: 'echo Listening on 8080; exec sleep 60',
                        background: true, waitFor: 'Listening on'
                echo "tag=${srv.tag} pid=${srv.pid}"
                wrennKill capsule: 'CAPSULE', tag: srv.tag
                """));
        j.assertLogContains("Listening on 8080", b);
        j.assertLogContains("tag=wrenn-", b);
        j.assertLogContains("Sent SIGTERM", b);
        Await.until(() -> server.processes(capsule).isEmpty(), "the killed server to end");
        j.assertLogNotContains("The build is over: stopping", b);
    }

    @Test
    void leftoverBackgroundProcessesStopAtBuildEndUnlessKeptAlive(JenkinsRule j) throws Exception {
        WorkflowRun b = j.buildAndAssertSuccess(pipeline(j, """
                wrennExec capsule: 'CAPSULE', cmd: 'sleep 60', background: true, tag: 'left'
                wrennExec capsule: 'CAPSULE', cmd: 'sleep 60', background: true, tag: 'kept', keepAlive: true
                """));
        j.assertLogContains("stopping background process", b);
        Await.until(() -> server.processes(capsule).size() == 1, "only the kept process to remain");
        assertEquals("kept", server.processes(capsule).getFirst().tag());
    }

    @Test
    void killingAnEndedProcessIsNotAnErrorUnlessAsked(JenkinsRule j) throws Exception {
        j.assertLogContains(
                "had already ended", j.buildAndAssertSuccess(pipeline(j, "wrennKill capsule: 'CAPSULE', tag: 'gone'")));
        j.buildAndAssertStatus(
                Result.FAILURE, pipeline(j, "wrennKill capsule: 'CAPSULE', tag: 'gone', failIfNotRunning: true"));
    }

    @Test
    void snippetGeneratorRoundTrips(JenkinsRule j) throws Exception {
        SnippetizerTester st = new SnippetizerTester(j);
        st.assertRoundTrip(new WrennExecStep("cl-abc", "pytest"), "wrennExec capsule: 'cl-abc', cmd: 'pytest'");
        WrennExecStep full = new WrennExecStep("cl-abc", "python");
        full.setArgs(List.of("-u", "server.py"));
        full.setEnvs(List.of(new WrennEnvVar("PORT", "8080")));
        full.setBackground(true);
        full.setWaitFor("Listening on");
        st.assertRoundTrip(
                full,
                "wrennExec args: ['-u', 'server.py'], background: true, capsule: 'cl-abc', cmd: 'python', "
                        + "envs: [PORT: '8080'], waitFor: 'Listening on'");
        // The list form structs knows is read as well.
        st.assertParseStep(
                full,
                "wrennExec args: ['-u', 'server.py'], background: true, capsule: 'cl-abc', cmd: 'python', "
                        + "envs: [[name: 'PORT', value: '8080']], waitFor: 'Listening on'");
        // A Jenkinsfile's numbers and booleans are text to the step, and a snippet writes them so.
        WrennExecStep typed = new WrennExecStep("cl-abc", "serve");
        typed.setEnvs(List.of(new WrennEnvVar("DEBUG", "true"), new WrennEnvVar("PORT", "8080")));
        typed.setLabel("Serve");
        st.assertParseStep(
                typed, "wrennExec capsule: 'cl-abc', cmd: 'serve', envs: [DEBUG: true, PORT: 8080], label: 'Serve'");
        st.assertRoundTrip(
                typed,
                "wrennExec capsule: 'cl-abc', cmd: 'serve', envs: [DEBUG: 'true', PORT: '8080'], label: 'Serve'");
        WrennKillStep kill = new WrennKillStep("cl-abc");
        kill.setTag("web");
        st.assertRoundTrip(kill, "wrennKill capsule: 'cl-abc', tag: 'web'");
        // The step reference and the Snippet Generator's documentation describe every parameter.
        SnippetizerTester.assertDocGeneration(WrennExecStep.class);
        SnippetizerTester.assertDocGeneration(WrennKillStep.class);
        SnippetizerTester.assertDocGeneration(WrennCapsuleStep.class);
    }

    @Test
    void theSnippetGeneratorWritesArgsAndEnvsFromItsRows(JenkinsRule j) throws Exception {
        SnippetizerTester st = new SnippetizerTester(j);
        String step = "'stapler-class': '" + WrennExecStep.class.getName() + "', 'capsule': 'cl-abc', 'cmd': 'python'";
        // Several rows arrive as an array, a single row as an object.
        st.assertGenerateSnippet(
                "{" + step + ", 'argRows': [{'arg': '-u'}, {'arg': 'server.py'}],"
                        + " 'envRows': {'name': 'PORT', 'value': '8080'}}",
                "wrennExec args: ['-u', 'server.py'], capsule: 'cl-abc', cmd: 'python', envs: [PORT: '8080']",
                null);
        st.assertGenerateSnippet(
                "{" + step + ", 'argRows': {'arg': '-u'}, 'envRows': [{'name': '', 'value': ''}]}",
                "wrennExec args: ['-u'], capsule: 'cl-abc', cmd: 'python'",
                null);
    }
}
