package io.jenkins.plugins.wrenn.steps;

import hudson.AbortException;
import hudson.Extension;
import hudson.FilePath;
import hudson.Util;
import hudson.model.Item;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import io.jenkins.plugins.wrenn.FormChecks;
import io.jenkins.plugins.wrenn.WrennConnection;
import io.jenkins.plugins.wrenn.WrennCredentials;
import io.jenkins.plugins.wrenn.files.AntPatterns;
import io.jenkins.plugins.wrenn.files.FileTransfer;
import io.jenkins.plugins.wrenn.files.TransferException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Set;
import org.jenkinsci.plugins.workflow.steps.Step;
import org.jenkinsci.plugins.workflow.steps.StepContext;
import org.jenkinsci.plugins.workflow.steps.StepDescriptor;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
import org.jenkinsci.plugins.workflow.steps.SynchronousNonBlockingStepExecution;
import org.kohsuke.accmod.Restricted;
import org.kohsuke.accmod.restrictions.NoExternalUse;
import org.kohsuke.stapler.AncestorInPath;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.verb.POST;

/**
 * {@code wrennGet from: '/workspace/reports', includes: '*.xml', into: 'reports'}: copies the
 * files below a capsule directory that match the patterns into the workspace, as one archive.
 * Nothing from the capsule is written outside the target directory, whatever links the workspace
 * already holds: see {@link WorkspaceFiles.Write}. Needs a workspace.
 */
public class WrennGetStep extends Step {

    private final String from;
    private String includes = "**";
    private String excludes;
    private String into;
    private String capsule;
    private String credentialsId;
    private boolean allowEmpty;

    @DataBoundConstructor
    public WrennGetStep(String from) {
        this.from = Util.fixEmptyAndTrim(from);
    }

    public String getFrom() {
        return from;
    }

    public String getIncludes() {
        return includes;
    }

    /** Ant patterns, comma-separated, relative to {@code from}; empty means every file. */
    @DataBoundSetter
    public void setIncludes(String includes) {
        String v = Util.fixEmptyAndTrim(includes);
        this.includes = v == null ? "**" : v;
    }

    public String getExcludes() {
        return excludes;
    }

    @DataBoundSetter
    public void setExcludes(String excludes) {
        this.excludes = Util.fixEmptyAndTrim(excludes);
    }

    public String getInto() {
        return into;
    }

    /** The workspace directory to write into; empty for the workspace itself. */
    @DataBoundSetter
    public void setInto(String into) {
        this.into = Util.fixEmptyAndTrim(into);
    }

    public String getCapsule() {
        return capsule;
    }

    @DataBoundSetter
    public void setCapsule(String capsule) {
        this.capsule = Util.fixEmptyAndTrim(capsule);
    }

    public String getCredentialsId() {
        return credentialsId;
    }

    @DataBoundSetter
    public void setCredentialsId(String credentialsId) {
        this.credentialsId = Util.fixEmptyAndTrim(credentialsId);
    }

    public boolean isAllowEmpty() {
        return allowEmpty;
    }

    @DataBoundSetter
    public void setAllowEmpty(boolean allowEmpty) {
        this.allowEmpty = allowEmpty;
    }

    @Override
    public StepExecution start(StepContext context) {
        return new Execution(this, context);
    }

    /** Fetches the matching files below {@code from} into the workspace; shared with the freestyle build step. */
    @Restricted(NoExternalUse.class)
    public static FileTransfer.Summary fetch(
            WrennConnection connection,
            String capsule,
            String from,
            String includes,
            String excludes,
            FilePath workspace,
            String into,
            boolean allowEmpty,
            TaskListener listener)
            throws AbortException, IOException, InterruptedException {
        if (from == null || !from.startsWith("/")) {
            throw new AbortException(Messages.WrennGetStep_FromAbsolute(from == null ? "" : from));
        }
        String target = into == null ? null : WorkspaceFiles.insideWorkspace("into", into);
        String label =
                target == null ? workspace.getRemote() : workspace.child(target).getRemote();
        try {
            return connection
                    .files(capsule, listener.getLogger())
                    .get(
                            from,
                            AntPatterns.of(includes),
                            AntPatterns.of(excludes),
                            WorkspaceFiles.into(workspace, target),
                            label,
                            allowEmpty);
        } catch (TransferException e) {
            if (e.getCause() instanceof InterruptedIOException
                    || Thread.currentThread().isInterrupted()) {
                throw new InterruptedException(e.getMessage());
            }
            throw new AbortException(connection.masked(e.getMessage()));
        }
    }

    static final class Execution extends SynchronousNonBlockingStepExecution<Void> {

        private static final long serialVersionUID = 1L;

        private final transient WrennGetStep step;

        Execution(WrennGetStep step, StepContext context) {
            super(context);
            this.step = step;
        }

        @Override
        protected Void run() throws Exception {
            WrennCapsuleContext.Target target =
                    WrennCapsuleContext.target(getContext(), step.capsule, step.credentialsId);
            Run<?, ?> run = getContext().get(Run.class);
            try (WrennConnection connection = WrennConnection.forBuild(target.credentialsId(), run)) {
                fetch(
                        connection,
                        target.capsule(),
                        step.from,
                        step.includes,
                        step.excludes,
                        getContext().get(FilePath.class),
                        step.into,
                        step.allowEmpty,
                        getContext().get(TaskListener.class));
            }
            return null;
        }
    }

    /** The step's name, its context (a workspace) and the Snippet Generator's checks. */
    @Extension
    public static class DescriptorImpl extends StepDescriptor {

        @Override
        public String getFunctionName() {
            return "wrennGet";
        }

        @Override
        public String getDisplayName() {
            return Messages.WrennGetStep_DescriptorImpl_DisplayName();
        }

        @Override
        public Set<? extends Class<?>> getRequiredContext() {
            return Set.of(Run.class, TaskListener.class, FilePath.class);
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
