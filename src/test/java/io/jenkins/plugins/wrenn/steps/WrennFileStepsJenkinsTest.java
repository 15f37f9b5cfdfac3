package io.jenkins.plugins.wrenn.steps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.cloudbees.plugins.credentials.CredentialsScope;
import com.cloudbees.plugins.credentials.SystemCredentialsProvider;
import hudson.FilePath;
import hudson.model.FreeStyleBuild;
import hudson.model.FreeStyleProject;
import hudson.model.Label;
import hudson.model.Result;
import hudson.util.Secret;
import io.jenkins.plugins.wrenn.config.WrennGlobalConfiguration;
import io.jenkins.plugins.wrenn.freestyle.WrennExecBuilder;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
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
import org.junit.jupiter.api.io.TempDir;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

/** {@code wrennPut} and {@code wrennGet} in real Pipelines on the built-in node and an agent, against the local server. */
@WithJenkins
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs sh, find and tar")
class WrennFileStepsJenkinsTest {

    static final String KEY = "wrn_files_key_52ab";

    WrennTestServer server;
    String capsule;

    /** Stands for what lies beyond the workspace (on the built-in node, JENKINS_HOME). */
    @TempDir
    Path outside;

    Path capsuleDir;

    @BeforeEach
    void setUp() throws Exception {
        server = WrennTestServer.start(KEY);
        capsule = server.createCapsule();
        capsuleDir = server.workDir(capsule);
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
    }

    void configure() throws Exception {
        SystemCredentialsProvider.getInstance()
                .getCredentials()
                .add(new StringCredentialsImpl(CredentialsScope.GLOBAL, "wrenn-key", "Wrenn", Secret.fromString(KEY)));
        WrennGlobalConfiguration.get().setApiUrl(server.baseUrl().toString());
        WrennGlobalConfiguration.get().setDefaultCredentialsId("wrenn-key");
    }

    WorkflowJob pipeline(JenkinsRule j, String script) throws Exception {
        configure();
        WorkflowJob job = j.jenkins.createProject(
                WorkflowJob.class, "p" + j.jenkins.getItems().size());
        job.setDefinition(new CpsFlowDefinition(
                script.replace("CAPSULE_DIR", capsuleDir.toString()).replace("CAPSULE", capsule), true));
        return job;
    }

    static void write(Path file, String text) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    static List<Path> contents(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    static byte[] random(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return b;
    }

    @Test
    void filesGoBothWaysByteForByteWithTheirExecutableBit(JenkinsRule j) throws Exception {
        byte[] data = random(2_000_000);
        Files.createDirectories(capsuleDir.resolve("out/reports"));
        Files.write(capsuleDir.resolve("out/reports/data.bin"), data);
        Files.writeString(capsuleDir.resolve("out/reports/unit.xml"), "<testsuite/>");
        Files.writeString(capsuleDir.resolve("out/reports/tool.sh"), "#!/bin/sh\n");
        capsuleDir.resolve("out/reports/tool.sh").toFile().setExecutable(true, false);
        Files.writeString(capsuleDir.resolve("out/reports/skip.log"), "not wanted");

        WorkflowJob job = pipeline(j, """
                node {
                    wrennGet capsule: 'CAPSULE', from: 'CAPSULE_DIR/out/reports',
                            includes: '*.xml, *.bin, *.sh', into: 'back'
                    wrennPut capsule: 'CAPSULE', includes: 'back/**', excludes: '**/*.xml', into: 'CAPSULE_DIR/again'
                }
                """);
        WorkflowRun b = j.buildAndAssertSuccess(job);

        FilePath back = j.jenkins.getWorkspaceFor(job).child("back");
        try (var in = back.child("data.bin").read()) {
            assertArrayEquals(data, in.readAllBytes(), "capsule to workspace");
        }
        assertFalse(back.child("skip.log").exists());
        assertTrue((back.child("tool.sh").mode() & 0100) != 0, "the executable bit comes back");
        assertArrayEquals(data, Files.readAllBytes(capsuleDir.resolve("again/back/data.bin")), "workspace to capsule");
        assertTrue(Files.isExecutable(capsuleDir.resolve("again/back/tool.sh")));
        assertFalse(Files.exists(capsuleDir.resolve("again/back/unit.xml")), "excludes are not sent");
        j.assertLogContains("[wrenn] Fetched 3 files (1.9 MiB)", b);
        j.assertLogContains("[wrenn] Sent 2 files (1.9 MiB)", b);
        j.assertLogNotContains(KEY, b);
    }

    @Test
    void filesGoBothWaysOnAnAgentWithTheirExecutableBit(JenkinsRule j) throws Exception {
        // A real agent: the sizes and modes are read there in one call, sent back over remoting.
        j.createOnlineSlave(Label.get("remote"));
        Files.createDirectories(capsuleDir.resolve("out/sub"));
        Files.writeString(capsuleDir.resolve("out/sub/a.txt"), "from the capsule");
        Files.writeString(capsuleDir.resolve("out/run.sh"), "#!/bin/sh\n");
        capsuleDir.resolve("out/run.sh").toFile().setExecutable(true, false);

        WorkflowJob job = pipeline(j, """
                node('remote') {
                    wrennGet capsule: 'CAPSULE', from: 'CAPSULE_DIR/out', into: 'back'
                    wrennPut capsule: 'CAPSULE', includes: 'back/**', into: 'CAPSULE_DIR/again'
                }
                """);
        WorkflowRun b = j.buildAndAssertSuccess(job);

        assertEquals("from the capsule", Files.readString(capsuleDir.resolve("again/back/sub/a.txt")));
        assertTrue(Files.isExecutable(capsuleDir.resolve("again/back/run.sh")), "the bit goes to the agent and back");
        assertFalse(Files.isExecutable(capsuleDir.resolve("again/back/sub/a.txt")));
        j.assertLogContains("[wrenn] Fetched 2 files", b);
        j.assertLogContains("[wrenn] Sent 2 files", b);
    }

    @Test
    void bothStepsNeedAWorkspace(JenkinsRule j) throws Exception {
        WorkflowRun b =
                j.buildAndAssertStatus(Result.FAILURE, pipeline(j, "wrennPut capsule: 'CAPSULE', into: '/tmp/x'"));
        j.assertLogContains("FilePath", b);
    }

    @Test
    void noMatchingFileFailsUnlessAllowed(JenkinsRule j) throws Exception {
        WorkflowRun b = j.buildAndAssertStatus(Result.FAILURE, pipeline(j, """
                        node {
                            writeFile file: 'a.txt', text: 'a'
                            wrennPut capsule: 'CAPSULE', includes: 'nothing/**', into: 'CAPSULE_DIR/ws'
                        }
                        """));
        j.assertLogContains("No files in", b);
        j.assertLogContains("matching 'nothing/**'", b);

        // node {} makes no workspace directory: a new job's workspace holds no files yet.
        j.buildAndAssertSuccess(pipeline(j, """
                node {
                    wrennPut capsule: 'CAPSULE', includes: 'nothing/**', into: 'CAPSULE_DIR/ws', allowEmpty: true
                }
                """));
        WorkflowRun fresh = j.buildAndAssertStatus(
                Result.FAILURE, pipeline(j, "node { wrennPut capsule: 'CAPSULE', into: 'CAPSULE_DIR/ws' }"));
        j.assertLogContains("No file matched '**': the workspace ", fresh);
        j.assertLogContains("does not exist yet, so nothing has been checked out into it.", fresh);
    }

    @Test
    void aMissingCapsuleDirectoryIsNamed(JenkinsRule j) throws Exception {
        WorkflowRun b = j.buildAndAssertStatus(
                Result.FAILURE,
                pipeline(j, "node { wrennGet capsule: 'CAPSULE', from: 'CAPSULE_DIR/no/such', includes: '*.xml' }"));
        j.assertLogContains("The directory " + capsuleDir.resolve("no/such") + " does not exist", b);
    }

    @Test
    void aLinkPointingOutOfTheWorkspaceIsRefused(JenkinsRule j) throws Exception {
        Files.createDirectories(capsuleDir.resolve("evil"));
        Files.createSymbolicLink(capsuleDir.resolve("evil/passwd"), Path.of("/etc/passwd"));
        WorkflowJob job = pipeline(j, "node { wrennGet capsule: 'CAPSULE', from: 'CAPSULE_DIR/evil' }");
        WorkflowRun b = j.buildAndAssertStatus(Result.FAILURE, job);
        j.assertLogContains("'passwd' -> '/etc/passwd'", b);
        assertFalse(Files.isSymbolicLink(
                Path.of(j.jenkins.getWorkspaceFor(job).child("passwd").getRemote())));
    }

    @Test
    void aLinkTheWorkspaceHoldsIsNotWrittenThroughOnTheBuiltInNode(JenkinsRule j) throws Exception {
        // As a pull request could commit it: escape -> a directory outside the workspace.
        write(capsuleDir.resolve("out/escape/pwned.txt"), "pwned");
        WorkflowJob job = pipeline(j, "node { wrennGet capsule: 'CAPSULE', from: 'CAPSULE_DIR/out' }");
        Path workspace = Path.of(j.jenkins.getWorkspaceFor(job).getRemote());
        Files.createDirectories(workspace);
        Files.createSymbolicLink(workspace.resolve("escape"), outside);

        WorkflowRun b = j.buildAndAssertStatus(Result.FAILURE, job);

        j.assertLogContains(
                "Refused 'escape/pwned.txt' from the capsule: 'escape' in the target directory is a symbolic link", b);
        assertEquals(List.of(), contents(outside));
    }

    @Test
    void onAnAgentNothingIsWrittenThroughALinkAndNothingIsReadThroughOne(JenkinsRule j) throws Exception {
        j.createOnlineSlave(Label.get("remote"));
        write(capsuleDir.resolve("out/escape/pwned.txt"), "pwned");
        Path secret = outside.resolve("id_rsa");
        Files.writeString(secret, "-----BEGIN OPENSSH PRIVATE KEY-----");

        // The check and the refusal happen on the agent; the refusal travels back over remoting.
        WorkflowJob get = pipeline(j, """
                node('remote') {
                    sh "ln -sfn 'OUTSIDE' escape"
                    wrennGet capsule: 'CAPSULE', from: 'CAPSULE_DIR/out'
                }
                """.replace("OUTSIDE", outside.toString()));
        WorkflowRun refused = j.buildAndAssertStatus(Result.FAILURE, get);
        j.assertLogContains("Refused 'escape/pwned.txt' from the capsule", refused);
        assertEquals(
                List.of("id_rsa"),
                contents(outside).stream().map(p -> p.getFileName().toString()).toList());

        // A link to a key outside the workspace is sent as a link: the key's content stays.
        WorkflowJob put = pipeline(j, """
                node('remote') {
                    writeFile file: 'src/app.py', text: 'print()'
                    sh "ln -sfn 'SECRET' key; ln -sfn 'OUTSIDE' home"
                    wrennPut capsule: 'CAPSULE', into: 'CAPSULE_DIR/sent'
                }
                """.replace("SECRET", secret.toString()).replace("OUTSIDE", outside.toString()));
        WorkflowRun sent = j.buildAndAssertSuccess(put);
        j.assertLogContains("[wrenn] Sent 3 files (7 B)", sent);
        assertEquals(secret, Files.readSymbolicLink(capsuleDir.resolve("sent/key")));
        assertEquals(outside, Files.readSymbolicLink(capsuleDir.resolve("sent/home")));
        assertEquals("print()", Files.readString(capsuleDir.resolve("sent/src/app.py")));
    }

    @Test
    void freestyleSendsBeforeAndBringsBackAfterAFailedCommand(JenkinsRule j) throws Exception {
        configure();
        FreeStyleProject p = j.createFreeStyleProject();
        j.jenkins.getWorkspaceFor(p).child("src/app.py").write("print('x')\n", "UTF-8");
        WrennExecBuilder step = new WrennExecBuilder(
                capsule, "cd " + capsuleDir + "/ws && mkdir -p reports && cp src/app.py reports/seen.txt && exit 3");
        step.setFilesToSend("src/**");
        step.setSendInto(capsuleDir + "/ws");
        step.setFetchFrom(capsuleDir + "/ws/reports");
        step.setFilesToFetch("*.txt");
        p.getBuildersList().add(step);

        FreeStyleBuild b = j.buildAndAssertStatus(Result.FAILURE, p);

        j.assertLogContains("[wrenn] Sent 1 file", b);
        j.assertLogContains("[wrenn] Fetched 1 file", b);
        assertEquals(
                "print('x')\n", j.jenkins.getWorkspaceFor(p).child("seen.txt").readToString());
        j.assertEqualDataBoundBeans(step, j.configRoundtrip(step));
    }

    @Test
    void snippetGeneratorRoundTrips(JenkinsRule j) throws Exception {
        SnippetizerTester st = new SnippetizerTester(j);
        // A step given only its one required argument is written without the name, as echo 'x' is:
        // into for wrennPut, from for wrennGet. Scripts may name it; both forms give the same step.
        st.assertRoundTrip(new WrennPutStep("/workspace"), "wrennPut '/workspace'");
        st.assertParseStep(new WrennPutStep("/workspace"), "wrennPut into: '/workspace'");
        st.assertRoundTrip(new WrennGetStep("/workspace/out"), "wrennGet '/workspace/out'");
        st.assertParseStep(new WrennGetStep("/workspace/out"), "wrennGet from: '/workspace/out'");
        // With any other argument set, every argument is named.
        WrennPutStep put = new WrennPutStep("/workspace");
        put.setIncludes("src/**, tests/**");
        put.setCapsule("cl-abc");
        put.setAllowEmpty(true);
        st.assertRoundTrip(
                put, "wrennPut allowEmpty: true, capsule: 'cl-abc', includes: 'src/**, tests/**', into: '/workspace'");
        WrennGetStep get = new WrennGetStep("/workspace/reports");
        get.setIncludes("*.xml");
        get.setInto("reports");
        st.assertRoundTrip(get, "wrennGet from: '/workspace/reports', includes: '*.xml', into: 'reports'");
        SnippetizerTester.assertDocGeneration(WrennPutStep.class);
        SnippetizerTester.assertDocGeneration(WrennGetStep.class);
    }
}
