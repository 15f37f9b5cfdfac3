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
import io.jenkins.plugins.wrenn.files.FileTransfer;
import io.jenkins.plugins.wrenn.files.SourceFile;
import io.jenkins.plugins.wrenn.files.SourceTree;
import io.jenkins.plugins.wrenn.files.TransferException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
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
 * {@code wrennPut includes: 'src/**', into: '/workspace'}: copies workspace files into a capsule
 * directory, keeping relative paths and the executable bit, as one archive. Links are sent as
 * links, never followed, so no content from outside the workspace reaches the capsule. Needs a
 * workspace.
 */
public class WrennPutStep extends Step {

    private final String into;
    private String includes = "**";
    private String excludes;
    private String dir;
    private String capsule;
    private String credentialsId;
    private boolean allowEmpty;

    @DataBoundConstructor
    public WrennPutStep(String into) {
        this.into = Util.fixEmptyAndTrim(into);
    }

    public String getInto() {
        return into;
    }

    public String getIncludes() {
        return includes;
    }

    /** Ant patterns, comma-separated, relative to the workspace or {@code dir}; empty means every file. */
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

    public String getDir() {
        return dir;
    }

    /** The workspace subdirectory the patterns are relative to. */
    @DataBoundSetter
    public void setDir(String dir) {
        this.dir = Util.fixEmptyAndTrim(dir);
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

    /**
     * Sends the selected files of {@code workspace} into the capsule; shared with the freestyle
     * build step.
     */
    @Restricted(NoExternalUse.class)
    public static FileTransfer.Summary send(
            WrennConnection connection,
            String capsule,
            FilePath workspace,
            String dir,
            String includes,
            String excludes,
            String into,
            boolean allowEmpty,
            TaskListener listener)
            throws AbortException, IOException, InterruptedException {
        if (into == null || !into.startsWith("/")) {
            throw new AbortException(Messages.WrennPutStep_IntoAbsolute(into == null ? "" : into));
        }
        String base = dir == null ? null : WorkspaceFiles.insideWorkspace("dir", dir);
        String where =
                base == null ? workspace.getRemote() : workspace.child(base).getRemote();
        try {
            SourceTree.Listing listing = WorkspaceFiles.list(workspace, base, includes, excludes);
            String selection = WorkspaceFiles.selection(where, includes, excludes);
            switch (listing.found()) {
                case NO_DIRECTORY -> throw new AbortException(Messages.WrennPutStep_NoDir(where));
                case NO_WORKSPACE -> {
                    // node {} makes no directory: a workspace nothing was checked out into yet.
                    if (!allowEmpty) {
                        throw new AbortException(
                                Messages.WrennPutStep_NothingCheckedOut(includes, workspace.getRemote()));
                    }
                    selection = Messages.WrennPutStep_NoWorkspaceYet(selection);
                }
                case DIRECTORY -> {}
            }
            List<SourceFile> files = WorkspaceFiles.sources(workspace, base, listing);
            return connection.files(capsule, listener.getLogger()).put(files, selection, into, allowEmpty);
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

        private final transient WrennPutStep step;

        Execution(WrennPutStep step, StepContext context) {
            super(context);
            this.step = step;
        }

        @Override
        protected Void run() throws Exception {
            WrennCapsuleContext.Target target =
                    WrennCapsuleContext.target(getContext(), step.capsule, step.credentialsId);
            Run<?, ?> run = getContext().get(Run.class);
            try (WrennConnection connection = WrennConnection.forBuild(target.credentialsId(), run)) {
                send(
                        connection,
                        target.capsule(),
                        getContext().get(FilePath.class),
                        step.dir,
                        step.includes,
                        step.excludes,
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
            return "wrennPut";
        }

        @Override
        public String getDisplayName() {
            return Messages.WrennPutStep_DescriptorImpl_DisplayName();
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
