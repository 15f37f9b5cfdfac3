package io.jenkins.plugins.wrenn;

import hudson.AbortException;
import hudson.EnvVars;
import hudson.Extension;
import hudson.FilePath;
import hudson.Launcher;
import hudson.Util;
import hudson.model.AbstractProject;
import hudson.model.InvisibleAction;
import hudson.model.Item;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.tasks.BuildWrapperDescriptor;
import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleFailure;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLease;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleOptions;
import io.jenkins.plugins.wrenn.lifecycle.KeepPolicy;
import java.io.IOException;
import jenkins.tasks.SimpleBuildWrapper;
import org.kohsuke.stapler.AncestorInPath;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.verb.POST;

/**
 * Freestyle: "Run this build's Wrenn steps in a fresh capsule". Creates the capsule (or takes an
 * existing one) before the build steps, sets {@code WRENN_CAPSULE}, lets Wrenn build steps leave
 * their capsule empty, and destroys, pauses or keeps the capsule when the build steps are done,
 * whether they passed, failed or were aborted.
 */
public class WrennCapsuleWrapper extends SimpleBuildWrapper {

    private String template;
    private int vcpus;
    private int memoryMb;
    private int timeoutSec;
    private int waitTimeout;
    private boolean keep;
    private String capsule;
    private boolean resume;
    private boolean pauseAfter;
    private String credentialsId;

    @DataBoundConstructor
    public WrennCapsuleWrapper() {}

    public String getTemplate() {
        return template;
    }

    @DataBoundSetter
    public void setTemplate(String template) {
        this.template = Util.fixEmptyAndTrim(template);
    }

    public int getVcpus() {
        return vcpus;
    }

    @DataBoundSetter
    public void setVcpus(int vcpus) {
        this.vcpus = vcpus;
    }

    public int getMemoryMb() {
        return memoryMb;
    }

    @DataBoundSetter
    public void setMemoryMb(int memoryMb) {
        this.memoryMb = memoryMb;
    }

    public int getTimeoutSec() {
        return timeoutSec;
    }

    @DataBoundSetter
    public void setTimeoutSec(int timeoutSec) {
        this.timeoutSec = timeoutSec;
    }

    public int getWaitTimeout() {
        return waitTimeout;
    }

    @DataBoundSetter
    public void setWaitTimeout(int waitTimeout) {
        this.waitTimeout = waitTimeout;
    }

    public boolean isKeep() {
        return keep;
    }

    @DataBoundSetter
    public void setKeep(boolean keep) {
        this.keep = keep;
    }

    public String getCapsule() {
        return capsule;
    }

    @DataBoundSetter
    public void setCapsule(String capsule) {
        this.capsule = Util.fixEmptyAndTrim(capsule);
    }

    public boolean isResume() {
        return resume;
    }

    @DataBoundSetter
    public void setResume(boolean resume) {
        this.resume = resume;
    }

    public boolean isPauseAfter() {
        return pauseAfter;
    }

    @DataBoundSetter
    public void setPauseAfter(boolean pauseAfter) {
        this.pauseAfter = pauseAfter;
    }

    public String getCredentialsId() {
        return credentialsId;
    }

    @DataBoundSetter
    public void setCredentialsId(String credentialsId) {
        this.credentialsId = Util.fixEmptyAndTrim(credentialsId);
    }

    /** The capsule is all it needs: no agent, no workspace. */
    @Override
    public boolean requiresWorkspace() {
        return false;
    }

    @Override
    public void setUp(
            Context context,
            Run<?, ?> build,
            FilePath workspace,
            Launcher launcher,
            TaskListener listener,
            EnvVars initialEnvironment)
            throws IOException, InterruptedException {
        setUp(context, build, listener, initialEnvironment);
    }

    @Override
    public void setUp(Context context, Run<?, ?> build, TaskListener listener, EnvVars initialEnvironment)
            throws IOException, InterruptedException {
        CapsuleOptions options = new CapsuleOptions(
                template,
                vcpus,
                memoryMb,
                timeoutSec,
                waitTimeout,
                keep ? KeepPolicy.ALWAYS : KeepPolicy.NEVER,
                capsule == null ? null : initialEnvironment.expand(capsule),
                resume,
                pauseAfter);
        String credentials = WrennCredentials.effectiveId(credentialsId);
        CapsuleLease lease;
        try (WrennConnection connection = WrennConnection.forBuild(credentials, build)) {
            lease = connection.lifecycle().acquire(options, listener.getLogger());
        } catch (CapsuleFailure e) {
            throw new AbortException(e.getMessage());
        }
        build.addAction(new BuildCapsule(lease.capsuleId(), credentials));
        context.env(WrennCapsuleStep.ENV_CAPSULE, lease.capsuleId());
        context.setDisposer(new GiveBack(lease, credentials));
    }

    /**
     * The capsule and credentials of the build, for the Wrenn build steps that name no capsule.
     * Not shown anywhere; it holds no secret.
     */
    static final class BuildCapsule extends InvisibleAction {
        private final String capsuleId;
        private final String credentialsId;

        BuildCapsule(String capsuleId, String credentialsId) {
            this.capsuleId = capsuleId;
            this.credentialsId = credentialsId;
        }

        /** The build's capsule and its credentials as the default of a build step that names neither. */
        WrennCapsuleContext asContext() {
            return new WrennCapsuleContext(capsuleId, credentialsId);
        }
    }

    /** Gives the capsule back when the build steps are done, also after an abort. */
    static final class GiveBack extends Disposer {

        private static final long serialVersionUID = 1L;

        private final CapsuleLease lease;
        private final String credentialsId;

        GiveBack(CapsuleLease lease, String credentialsId) {
            this.lease = lease;
            this.credentialsId = credentialsId;
        }

        @Override
        public void tearDown(Run<?, ?> build, FilePath workspace, Launcher launcher, TaskListener listener)
                throws IOException, InterruptedException {
            tearDown(build, listener);
        }

        @Override
        public void tearDown(Run<?, ?> build, TaskListener listener) throws IOException, InterruptedException {
            // After an abort the executor's thread may still be interrupted; the capsule must go anyway.
            boolean interrupted = Thread.interrupted();
            try (WrennConnection connection = WrennConnection.forBuild(credentialsId, build)) {
                if (connection.lifecycle().release(lease, listener.getLogger()).gone()) {
                    WrennCapsuleStep.processesGone(build, lease.capsuleId());
                }
            } catch (CapsuleFailure e) {
                throw new AbortException(e.getMessage());
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** The option's name in the job form, and the form's checks. */
    @Extension
    public static class DescriptorImpl extends BuildWrapperDescriptor {

        @Override
        public boolean isApplicable(AbstractProject<?, ?> item) {
            return true;
        }

        @Override
        public String getDisplayName() {
            return Messages.WrennCapsuleWrapper_DisplayName();
        }

        @POST
        public FormValidation doCheckCapsule(@AncestorInPath Item item, @QueryParameter String value) {
            return FormChecks.capsule(item, value);
        }

        @POST
        public ListBoxModel doFillCredentialsIdItems(@AncestorInPath Item item, @QueryParameter String credentialsId) {
            return WrennCredentials.fillItems(item, credentialsId);
        }
    }
}
