package io.jenkins.plugins.wrenn.freestyle;

import hudson.AbortException;
import hudson.EnvVars;
import hudson.Extension;
import hudson.FilePath;
import hudson.Launcher;
import hudson.Util;
import hudson.model.AbstractProject;
import hudson.model.InvisibleAction;
import hudson.model.Item;
import hudson.model.Result;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.tasks.BuildWrapperDescriptor;
import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import io.jenkins.plugins.wrenn.CapsuleOwnership;
import io.jenkins.plugins.wrenn.FormChecks;
import io.jenkins.plugins.wrenn.WrennConnection;
import io.jenkins.plugins.wrenn.WrennCredentials;
import io.jenkins.plugins.wrenn.capacity.CapsuleSlots;
import io.jenkins.plugins.wrenn.capsules.BuildCapsulesAction;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleFailure;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLease;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleOptions;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleRecords;
import io.jenkins.plugins.wrenn.lifecycle.KeepPolicy;
import io.jenkins.plugins.wrenn.lifecycle.Released;
import io.jenkins.plugins.wrenn.steps.WrennCapsuleContext;
import io.jenkins.plugins.wrenn.steps.WrennCapsuleStep;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import jenkins.tasks.SimpleBuildWrapper;
import org.jenkinsci.plugins.structs.describable.CustomDescribableModel;
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
    /** A word of {@link KeepPolicy}; a job saved when this was a boolean reads "true" or "false" here. */
    private String keep;

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

    /** {@code onFailure} or {@code always}; null for never (the default). */
    public String getKeep() {
        KeepPolicy policy = KeepPolicy.parse(keep);
        return policy == KeepPolicy.NEVER ? null : policy.token();
    }

    /**
     * Sets when the fresh capsule is kept, paused, at the end.
     *
     * @throws IllegalArgumentException naming the words the option takes
     */
    @DataBoundSetter
    public void setKeep(String keep) {
        this.keep = KeepPolicy.parse(keep).token();
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
                KeepPolicy.parse(keep),
                capsule == null ? null : initialEnvironment.expand(capsule),
                resume,
                pauseAfter);
        String problem = options.problem();
        if (problem != null) {
            throw new AbortException(problem);
        }
        String credentials = WrennCredentials.effectiveId(credentialsId);
        String recordId = CapsuleOwnership.newRecordId();
        if (!options.existing()) {
            awaitSlot(recordId, listener);
        }
        CapsuleLease lease;
        boolean held = false;
        try (WrennConnection connection = WrennConnection.forBuild(credentials, build)) {
            lease = connection
                    .lifecycle()
                    .acquire(
                            options,
                            CapsuleOwnership.records(build, credentials, recordId),
                            listener.getLogger(),
                            l -> {});
            held = true;
        } catch (CapsuleFailure e) {
            throw new AbortException(e.getMessage());
        } finally {
            if (!held) {
                CapsuleOwnership.SLOTS.release(recordId);
            }
        }
        build.addAction(new BuildCapsule(lease.capsuleId(), credentials));
        context.env(WrennCapsuleStep.ENV_CAPSULE, lease.capsuleId());
        context.setDisposer(new GiveBack(lease, credentials, recordId));
    }

    /**
     * Waits for a capsule slot (Maximum capsules at once). A freestyle build holds its executor
     * anyway; an abort interrupts the wait at once and leaves the queue.
     */
    private static void awaitSlot(String recordId, TaskListener listener) throws IOException, InterruptedException {
        CapsuleSlots.Request ask = CapsuleOwnership.SLOTS.request(recordId);
        if (!ask.mustWait()) {
            return;
        }
        listener.getLogger().println(ask.waitLine());
        try {
            ask.granted().get();
        } catch (InterruptedException e) {
            ask.cancel();
            throw e;
        } catch (ExecutionException e) {
            throw new IOException(e.getCause());
        }
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

    /**
     * Gives the capsule back when the build steps are done, also after an abort: a capsule kept on
     * failure is kept when the build so far is worse than a success.
     */
    static final class GiveBack extends Disposer {

        private static final long serialVersionUID = 1L;

        private final CapsuleLease lease;
        private final String credentialsId;
        private final String recordId;

        GiveBack(CapsuleLease lease, String credentialsId, String recordId) {
            this.lease = lease;
            this.credentialsId = credentialsId;
            this.recordId = recordId;
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
            Result sofar = build.getResult();
            boolean failed = sofar != null && sofar.isWorseThan(Result.SUCCESS);
            try (WrennConnection connection = WrennConnection.forBuild(credentialsId, build)) {
                CapsuleRecords records = lease.created()
                        ? CapsuleOwnership.records(build, credentialsId, recordId)
                        : CapsuleRecords.NONE;
                Released released = connection.lifecycle().release(lease, failed, records, listener.getLogger());
                if (released.gone()) {
                    WrennCapsuleStep.processesGone(build, lease.capsuleId());
                }
                BuildCapsulesAction.record(build, released);
            } catch (CapsuleFailure e) {
                throw new AbortException(e.getMessage());
            } finally {
                CapsuleOwnership.SLOTS.release(recordId);
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** The option's name in the job form, and the form's checks. */
    @Extension
    public static class DescriptorImpl extends BuildWrapperDescriptor implements CustomDescribableModel {

        @Override
        public boolean isApplicable(AbstractProject<?, ?> item) {
            return true;
        }

        @Override
        public String getDisplayName() {
            return Messages.WrennCapsuleWrapper_DisplayName();
        }

        /** {@code keep} was a boolean: {@code keep: true} in a {@code wrap} step still means always. */
        @Override
        public Map<String, Object> customInstantiate(Map<String, Object> arguments) {
            return WrennCapsuleStep.keepAsWord(arguments);
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
