package io.jenkins.plugins.wrenn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.cloudbees.plugins.credentials.CredentialsScope;
import com.cloudbees.plugins.credentials.SystemCredentialsProvider;
import hudson.XmlFile;
import hudson.model.FreeStyleProject;
import hudson.model.Item;
import hudson.model.Result;
import hudson.model.User;
import hudson.security.ACL;
import hudson.security.ACLContext;
import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import hudson.util.Secret;
import io.jenkins.plugins.wrenn.config.WrennGlobalConfiguration;
import io.jenkins.plugins.wrenn.freestyle.WrennExecBuilder;
import io.jenkins.plugins.wrenn.steps.WrennKillStep;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.io.File;
import java.util.List;
import jenkins.model.Jenkins;
import org.htmlunit.html.HtmlElement;
import org.htmlunit.html.HtmlForm;
import org.htmlunit.html.HtmlInput;
import org.htmlunit.html.HtmlPage;
import org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl;
import org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition;
import org.jenkinsci.plugins.workflow.cps.SnippetizerTester;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.jenkinsci.plugins.workflow.steps.CoreStep;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.MockAuthorizationStrategy;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;
import org.springframework.security.access.AccessDeniedException;

/**
 * The forms as users with different permissions meet them, the global configuration form, the
 * {@code wrennKill} signal choice and the builder in Pipeline. Real build only.
 */
@WithJenkins
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class WrennFormsJenkinsTest {

    static final String KEY = "wrn_forms_test_key_51b0";

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

    void configure(JenkinsRule j) throws Exception {
        SystemCredentialsProvider.getInstance()
                .getCredentials()
                .add(new StringCredentialsImpl(CredentialsScope.GLOBAL, "wrenn-key", "Wrenn", Secret.fromString(KEY)));
        WrennGlobalConfiguration.get().setApiUrl(server.baseUrl().toString());
        WrennGlobalConfiguration.get().setDefaultCredentialsId("wrenn-key");
    }

    /** "reader" may only look at jobs; "configurer" may configure them. */
    void secure(JenkinsRule j) {
        j.jenkins.setSecurityRealm(j.createDummySecurityRealm());
        j.jenkins.setAuthorizationStrategy(new MockAuthorizationStrategy()
                .grant(Jenkins.READ, Item.READ)
                .everywhere()
                .to("reader")
                .grant(Jenkins.READ, Item.READ, Item.CONFIGURE)
                .everywhere()
                .to("configurer")
                .grant(Jenkins.ADMINISTER)
                .everywhere()
                .to("admin"));
    }

    static ACLContext as(String user) {
        return ACL.as2(User.getById(user, true).impersonate2());
    }

    static List<String> values(ListBoxModel model) {
        return model.stream().map(o -> o.value).toList();
    }

    static WrennExecBuilder.DescriptorImpl builderDescriptor(JenkinsRule j) {
        return j.jenkins.getDescriptorByType(WrennExecBuilder.DescriptorImpl.class);
    }

    @Test
    void theSystemSectionTestsTheTypedUrlAndKeyWithoutACapsule(JenkinsRule j) throws Exception {
        configure(j);
        secure(j);
        WrennGlobalConfiguration config = WrennGlobalConfiguration.get();
        String url = server.baseUrl().toString();
        int requestsBefore = server.requests().size();
        try (ACLContext ignored = as("configurer")) {
            assertThrows(AccessDeniedException.class, () -> config.doTestConnection(url, "wrenn-key", "10"));
        }
        assertEquals(requestsBefore, server.requests().size(), "no API call without Overall/Administer");
        try (ACLContext ignored = as("admin")) {
            FormValidation ok = config.doTestConnection(url, "wrenn-key", "10");
            assertEquals(FormValidation.Kind.OK, ok.kind, ok.getMessage());
            assertEquals(
                    "Connected: the Wrenn API at " + url + " accepted the key in credentials wrenn-key.",
                    ok.getMessage());
            FormValidation noApiPart = config.doTestConnection(url.replaceFirst("/api$", ""), "wrenn-key", "10");
            assertEquals(FormValidation.Kind.ERROR, noApiPart.kind);
            assertTrue(noApiPart.getMessage().contains("the API URL is probably wrong"), noApiPart.getMessage());
            FormValidation badUrl = config.doTestConnection("ftp://x", "wrenn-key", "10");
            assertEquals(FormValidation.Kind.ERROR, badUrl.kind);
            FormValidation noCredentials = config.doTestConnection(url, "", "10");
            assertEquals(FormValidation.Kind.ERROR, noCredentials.kind);
            assertEquals("Choose the default credentials to test the connection with.", noCredentials.getMessage());
        }
        // Nothing was saved by testing.
        assertEquals(url, config.getApiUrl());
        // The button is in the section, posting to this descriptor.
        HtmlPage page = j.createWebClient().login("admin").goTo("configure");
        assertTrue(
                page
                        .getDocumentElement()
                        .querySelectorAll("button[data-validate-button-method='testConnection']")
                        .stream()
                        .anyMatch(b -> ((HtmlElement) b)
                                .getAttribute("data-validate-button-descriptor-url")
                                .endsWith(WrennGlobalConfiguration.class.getName())),
                "no Test connection button in the Wrenn section");
    }

    @Test
    void aReaderGetsNoCredentialsListAndCannotTestTheConnection(JenkinsRule j) throws Exception {
        configure(j);
        FreeStyleProject p = j.createFreeStyleProject();
        secure(j);
        WrennExecBuilder.DescriptorImpl d = builderDescriptor(j);
        int requestsBefore = server.requests().size();
        try (ACLContext ignored = as("reader")) {
            assertEquals(List.of(""), values(d.doFillCredentialsIdItems(p, "")));
            assertEquals(List.of("wrenn-key"), values(d.doFillCredentialsIdItems(p, "wrenn-key")));
            // Checks answer without a 403 and without judging the value.
            assertEquals(FormValidation.Kind.OK, d.doCheckCapsule(p, "a b").kind);
            assertEquals(FormValidation.Kind.OK, d.doCheckEnvs(p, "not a pair").kind);
            FormValidation test = d.doTestConnection(p, capsule, "");
            assertEquals(FormValidation.Kind.ERROR, test.kind);
            assertTrue(test.getMessage().contains("needs the permission to configure this job"), test.getMessage());
        }
        assertEquals(requestsBefore, server.requests().size(), "no API call for a reader");
    }

    @Test
    void aConfigurerSeesTheCredentialsAndTestsTheConnection(JenkinsRule j) throws Exception {
        configure(j);
        FreeStyleProject p = j.createFreeStyleProject();
        secure(j);
        WrennExecBuilder.DescriptorImpl d = builderDescriptor(j);
        try (ACLContext ignored = as("configurer")) {
            ListBoxModel items = d.doFillCredentialsIdItems(p, "");
            assertEquals(List.of("", "wrenn-key"), values(items));
            assertEquals("- default (wrenn-key) -", items.get(0).name);
            assertEquals(FormValidation.Kind.OK, d.doCheckCapsule(p, "").kind, "no red before any input");
            assertEquals(FormValidation.Kind.ERROR, d.doCheckCapsule(p, "a b").kind);
            FormValidation envs = d.doCheckEnvs(p, "A=1\nnot a pair");
            assertEquals(FormValidation.Kind.ERROR, envs.kind);
            assertTrue(envs.getMessage().startsWith("Line 2 is not NAME=VALUE"), envs.getMessage());
            FormValidation test = d.doTestConnection(p, capsule, "");
            assertEquals(FormValidation.Kind.OK, test.kind, test.getMessage());
            assertTrue(test.getMessage().contains("is running"), test.getMessage());
        }
    }

    @Test
    void testConnectionSpeaksTheBuildLogsWords(JenkinsRule j) throws Exception {
        configure(j);
        FreeStyleProject p = j.createFreeStyleProject();
        WrennExecBuilder.DescriptorImpl d = builderDescriptor(j);
        FormValidation missing = d.doTestConnection(p, "cl-0000000000000000000000000", "");
        assertEquals(FormValidation.Kind.ERROR, missing.kind);
        assertTrue(
                missing.getMessage().startsWith("Capsule not found: cl-0000000000000000000000000"),
                missing.getMessage());
        assertFalse(missing.getMessage().contains("HTTP 404"), missing.getMessage());

        FormValidation shape = d.doTestConnection(p, "a/b", "");
        assertTrue(shape.getMessage().startsWith("A capsule id has no"), shape.getMessage());
        assertFalse(shape.getMessage().startsWith("capsule"), shape.getMessage());

        FormValidation variable = d.doTestConnection(p, "${CAPSULE}", "");
        assertTrue(variable.getMessage().contains("uses build variables"), variable.getMessage());

        // A paused capsule: the very sentence the build log writes.
        server.setStatus(capsule, "paused");
        FormValidation paused = d.doTestConnection(p, capsule, "");
        assertEquals(FormValidation.Kind.WARNING, paused.kind);
        assertEquals(
                "Capsule " + capsule + " is not running (status: paused) - start or resume it first.",
                paused.getMessage());

        // The API URL without its /api part: a plain-text 404, not a missing capsule.
        WrennGlobalConfiguration.get().setApiUrl(server.baseUrl().toString().replaceFirst("/api$", ""));
        FormValidation wrongUrl = d.doTestConnection(p, capsule, "");
        assertEquals(FormValidation.Kind.ERROR, wrongUrl.kind);
        assertTrue(wrongUrl.getMessage().contains("the API URL is probably wrong"), wrongUrl.getMessage());
        assertFalse(wrongUrl.getMessage().contains("Capsule not found"), wrongUrl.getMessage());
    }

    @Test
    void anInvalidGlobalConfigurationIsRejectedAtItsFieldAndTheOldValueKept(JenkinsRule j) throws Exception {
        WrennGlobalConfiguration config = WrennGlobalConfiguration.get();
        config.setApiUrl("https://wrenn.example/api");
        JenkinsRule.WebClient wc = j.createWebClient();
        wc.getOptions().setThrowExceptionOnFailingStatusCode(false);
        HtmlPage page = wc.goTo("configure");
        assertTrue(
                page.getWebResponse().getContentAsString().contains("Connect timeout in seconds"),
                "the label keeps its unit");

        HtmlForm form = page.getFormByName("config");
        form.getInputByName("_.apiUrl").setValue("not a url");
        HtmlPage answer = j.submit(form);
        String body = answer.getWebResponse().getContentAsString();
        assertTrue(body.contains("The API URL must be a web address that starts with"), body);
        assertFalse(body.contains("Illegal character"), body);
        assertEquals("https://wrenn.example/api", config.getApiUrl());
        XmlFile saved =
                new XmlFile(new File(j.jenkins.getRootDir(), WrennGlobalConfiguration.class.getName() + ".xml"));
        assertTrue(saved.asString().contains("https://wrenn.example/api"), saved.asString());

        form = wc.goTo("configure").getFormByName("config");
        HtmlInput timeout = form.getInputByName("_.connectTimeoutSeconds");
        timeout.setValue("0");
        body = j.submit(form).getWebResponse().getContentAsString();
        assertTrue(body.contains("The connect timeout must be a whole number of seconds"), body);
        assertEquals(10, config.getConnectTimeoutSeconds());
    }

    @Test
    void theJobFormKeepsItsUnits(JenkinsRule j) throws Exception {
        configure(j);
        FreeStyleProject p = j.createFreeStyleProject();
        p.getBuildersList().add(new WrennExecBuilder(capsule, "true"));
        // The field is in the "Advanced" part, hidden until opened: read the page as sent.
        String html =
                j.createWebClient().getPage(p, "configure").getWebResponse().getContentAsString();
        assertTrue(html.contains("Timeout in seconds"), "the label keeps its unit");
    }

    @Test
    void killSignalIsAChoiceAndScriptsKeepTheirText(JenkinsRule j) throws Exception {
        configure(j);
        WrennKillStep kill = new WrennKillStep("cl-abc");
        kill.setTag("web");
        kill.setSignal("SIGKILL");
        new SnippetizerTester(j).assertRoundTrip(kill, "wrennKill capsule: 'cl-abc', signal: 'SIGKILL', tag: 'web'");

        WorkflowJob job = j.jenkins.createProject(WorkflowJob.class, "kill");
        job.setDefinition(new CpsFlowDefinition("""
                wrennExec capsule: 'CAPSULE', cmd: 'sleep 60', background: true, tag: 'srv'
                def sent = wrennKill capsule: 'CAPSULE', tag: 'srv', signal: 'SIGKILL'
                echo "sent ${sent}"
                wrennKill capsule: 'CAPSULE', tag: 'srv', signal: 'SIGHUP'
                """.replace("CAPSULE", capsule), true));
        WorkflowRun b = j.buildAndAssertStatus(Result.FAILURE, job);
        j.assertLogContains("Sent SIGKILL to process srv", b);
        j.assertLogContains("sent true", b);
        j.assertLogContains("signal: 'SIGHUP' is not SIGTERM or SIGKILL", b);

        secure(j);
        WrennKillStep.DescriptorImpl d = j.jenkins.getDescriptorByType(WrennKillStep.DescriptorImpl.class);
        try (ACLContext ignored = as("reader")) {
            assertEquals(
                    List.of("SIGTERM", "SIGKILL"), values(d.doFillSignalItems()), "a fixed list needs no permission");
        }
    }

    @Test
    void theBuilderIsAPipelineStepOnlyThroughStep(JenkinsRule j) throws Exception {
        configure(j);
        WrennExecBuilder builder = new WrennExecBuilder("cl-abc", "true");
        new SnippetizerTester(j)
                .assertRoundTrip(
                        new CoreStep(builder),
                        "step([$class: 'WrennExecBuilder', capsule: 'cl-abc', command: 'true'])");

        WorkflowJob job = j.jenkins.createProject(WorkflowJob.class, "builder");
        job.setDefinition(new CpsFlowDefinition(
                "step([$class: 'WrennExecBuilder', capsule: '" + capsule + "', command: 'echo via step'])", true));
        j.assertLogContains("via step", j.buildAndAssertSuccess(job));

        WorkflowJob symbol = j.jenkins.createProject(WorkflowJob.class, "symbol");
        symbol.setDefinition(new CpsFlowDefinition("wrennBuildStep capsule: '" + capsule + "', command: 'true'", true));
        j.assertLogContains("No such DSL method 'wrennBuildStep'", j.buildAndAssertStatus(Result.FAILURE, symbol));
    }
}
