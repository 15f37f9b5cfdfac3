package io.jenkins.plugins.wrenn.capsules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.cloudbees.plugins.credentials.CredentialsScope;
import com.cloudbees.plugins.credentials.SystemCredentialsProvider;
import hudson.model.FreeStyleBuild;
import hudson.model.FreeStyleProject;
import hudson.model.Item;
import hudson.model.TaskListener;
import hudson.util.Secret;
import io.jenkins.plugins.wrenn.CapsuleOwnership;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.config.WrennGlobalConfiguration;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLease;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLifecycle;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleOptions;
import io.jenkins.plugins.wrenn.lifecycle.KeepPolicy;
import io.jenkins.plugins.wrenn.ownership.CapsuleSweeper;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.logging.Level;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jenkins.model.Jenkins;
import org.htmlunit.HttpMethod;
import org.htmlunit.Page;
import org.htmlunit.WebRequest;
import org.htmlunit.html.HtmlForm;
import org.htmlunit.html.HtmlPage;
import org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl;
import org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.LogRecorder;
import org.jvnet.hudson.test.MockAuthorizationStrategy;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

/**
 * Manage Jenkins &gt; Wrenn capsules and the sweep in a real Jenkins: administrators see the
 * capsules this Jenkins owns and may destroy them (POST with the crumb); nobody else sees the page;
 * capsules of others are never listed nor destroyed; the sweep reclaims the capsule of a build that
 * ended without giving it back.
 */
@WithJenkins
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class WrennCapsulesPageJenkinsTest {

    static final String KEY = "wrn_capsules_page_key_7a31";
    static final Pattern CREATED = Pattern.compile("Created capsule (cl-[0-9a-z]+)");

    WrennTestServer server;

    @BeforeEach
    void setUp() throws Exception {
        server = WrennTestServer.start(KEY, ServerGeneration.CURRENT);
        server.setTransitionDelay(Duration.ofMillis(200));
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
        j.jenkins.setSecurityRealm(j.createDummySecurityRealm());
        j.jenkins.setAuthorizationStrategy(new MockAuthorizationStrategy()
                .grant(Jenkins.ADMINISTER)
                .everywhere()
                .to("admin")
                .grant(Jenkins.READ, Item.READ)
                .everywhere()
                .to("dev"));
    }

    /** A build that keeps its capsule: the capsule stays owned, paused, until its retention ends. */
    String keptCapsule(JenkinsRule j) throws Exception {
        WorkflowJob p = j.jenkins.createProject(WorkflowJob.class, "p");
        p.setDefinition(new CpsFlowDefinition("wrennCapsule(keep: 'always') { echo 'in the capsule' }", true));
        WorkflowRun b = j.buildAndAssertSuccess(p);
        Matcher m = CREATED.matcher(JenkinsRule.getLog(b));
        assertTrue(m.find(), "the log names the capsule");
        String id = m.group(1);
        Await.until(() -> "paused".equals(server.status(id)), "kept paused");
        return id;
    }

    WebRequest destroyRequest(JenkinsRule j, String capsule) throws Exception {
        return new WebRequest(
                URI.create(j.getURL() + "manage/wrenn-capsules/destroy?capsule=" + capsule)
                        .toURL(),
                HttpMethod.POST);
    }

    @Test
    void administratorsSeeOwnedCapsulesWithTheirBuildAndDestroyThemFromThePage(JenkinsRule j) throws Exception {
        configure(j);
        String kept = keptCapsule(j);
        String foreign = server.createCapsule();
        try (LogRecorder log =
                new LogRecorder().record(CapsuleSweeper.class, Level.INFO).capture(10)) {
            JenkinsRule.WebClient wc = j.createWebClient().login("admin");
            HtmlPage page = wc.goTo("manage/wrenn-capsules/");
            String text = page.asNormalizedText();
            assertTrue(text.contains(kept), text);
            assertTrue(text.contains("p #1"), text);
            assertTrue(text.contains("paused"), text);
            assertFalse(text.contains(foreign), "a capsule this Jenkins did not create is not listed");
            assertTrue(
                    page.getAnchors().stream()
                            .anyMatch(a -> a.getHrefAttribute().endsWith("job/p/1/")),
                    "the build is linked");

            HtmlForm form = page.getForms().stream()
                    .filter(f -> "destroy".equals(f.getActionAttribute()))
                    .findFirst()
                    .orElseThrow();
            j.submit(form);
            Await.until(() -> "stopped".equals(server.status(kept)), "the capsule is destroyed");
            assertEquals("running", server.status(foreign));
            assertTrue(
                    log.getMessages().stream()
                            .anyMatch(m -> m.equals("Destroyed capsule " + kept + " of p #1: admin asked for it on the"
                                    + " Wrenn capsules page.")),
                    log.getMessages().toString());
        }
    }

    @Test
    void onlyAdministratorsSeeThePageAndDestroysNeedPostWithTheCrumb(JenkinsRule j) throws Exception {
        configure(j);
        String kept = keptCapsule(j);
        String foreign = server.createCapsule();

        JenkinsRule.WebClient dev = j.createWebClient().login("dev").withThrowExceptionOnFailingStatusCode(false);
        assertEquals(403, dev.goTo("manage/wrenn-capsules/").getWebResponse().getStatusCode());
        assertEquals(
                403,
                dev.getPage(dev.addCrumb(destroyRequest(j, kept)))
                        .getWebResponse()
                        .getStatusCode());

        JenkinsRule.WebClient admin = j.createWebClient().login("admin").withThrowExceptionOnFailingStatusCode(false);
        assertEquals(
                403, admin.getPage(destroyRequest(j, kept)).getWebResponse().getStatusCode(), "no crumb");
        // On another verb, @POST cancels the dispatch and Stapler finds nothing else: 404 (only
        // @RequirePOST answers 405), as core's JenkinsTest.testPaneToggleCollapse asserts.
        Page get = admin.goTo("manage/wrenn-capsules/destroy?capsule=" + kept, null);
        assertEquals(404, get.getWebResponse().getStatusCode(), "a GET destroys nothing");
        Page notOwned = admin.getPage(admin.addCrumb(destroyRequest(j, foreign)));
        assertEquals(404, notOwned.getWebResponse().getStatusCode());

        assertEquals("paused", server.status(kept));
        assertEquals("running", server.status(foreign));
    }

    @Test
    void theSweepReclaimsTheCapsuleOfABuildThatEndedWithoutGivingItBack(JenkinsRule j) throws Exception {
        configure(j);
        FreeStyleProject job = j.createFreeStyleProject("free");
        FreeStyleBuild build = j.buildAndAssertSuccess(job);
        String foreign = server.createCapsule();
        // As a freestyle build cut off by a crash leaves it: created and recorded for the build, never given back.
        CapsuleLease lease;
        try (WrennClient client = WrennClient.builder(server.baseUrl(), KEY).build()) {
            lease = CapsuleLifecycle.withDefaults(client, "wrenn-key")
                    .acquire(
                            new CapsuleOptions(null, 0, 0, 0, 30, KeepPolicy.NEVER, null, false, false),
                            CapsuleOwnership.records(build, "wrenn-key", CapsuleOwnership.newRecordId()),
                            new PrintStream(OutputStream.nullOutputStream()),
                            l -> {});
        }
        assertEquals("running", server.status(lease.capsuleId()));

        try (LogRecorder log =
                new LogRecorder().record(CapsuleSweeper.class, Level.INFO).capture(10)) {
            new CapsuleSweepWork().execute(TaskListener.NULL);
            Await.until(() -> "stopped".equals(server.status(lease.capsuleId())), "the capsule is destroyed");
            assertTrue(
                    log.getMessages()
                            .contains("Destroyed capsule " + lease.capsuleId() + " of free #1: its build is over."),
                    log.getMessages().toString());
        }
        assertEquals("running", server.status(foreign), "never a capsule this Jenkins did not create");
        Await.until(
                () -> {
                    new CapsuleSweepWork().execute(TaskListener.NULL);
                    return CapsuleOwnership.ledger().all().isEmpty();
                },
                "the record is removed once the capsule is confirmed gone");
    }
}
