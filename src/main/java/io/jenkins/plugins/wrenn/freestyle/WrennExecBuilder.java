package io.jenkins.plugins.wrenn.freestyle;

import hudson.AbortException;
import hudson.EnvVars;
import hudson.Extension;
import hudson.FilePath;
import hudson.Launcher;
import hudson.Util;
import hudson.model.AbstractBuild;
import hudson.model.AbstractProject;
import hudson.model.Item;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.tasks.BuildStepDescriptor;
import hudson.tasks.Builder;
import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import io.jenkins.plugins.wrenn.FormChecks;
import io.jenkins.plugins.wrenn.WrennConnection;
import io.jenkins.plugins.wrenn.WrennCredentials;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.config.WrennGlobalConfiguration;
import io.jenkins.plugins.wrenn.exec.BuildStepCommand;
import io.jenkins.plugins.wrenn.exec.ConnectionCheck;
import io.jenkins.plugins.wrenn.exec.DurableExecution;
import io.jenkins.plugins.wrenn.exec.DurableRun;
import io.jenkins.plugins.wrenn.exec.ExecOutcome;
import io.jenkins.plugins.wrenn.exec.ExecutionFailure;
import io.jenkins.plugins.wrenn.exec.ExecutionSpec;
import io.jenkins.plugins.wrenn.exec.MaskingStream;
import io.jenkins.plugins.wrenn.exec.RecordedCommand;
import io.jenkins.plugins.wrenn.exec.RunState;
import io.jenkins.plugins.wrenn.steps.WrennCapsuleContext;
import io.jenkins.plugins.wrenn.steps.WrennCapsuleStep;
import io.jenkins.plugins.wrenn.steps.WrennGetStep;
import io.jenkins.plugins.wrenn.steps.WrennPutStep;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import jenkins.tasks.SimpleBuildStep;
import org.kohsuke.stapler.AncestorInPath;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.verb.POST;

/**
 * The freestyle build step: runs a command in a Wrenn capsule with its output in the build log. It
 * needs no workspace, so it also runs from Pipeline through {@code step(...)} outside {@code node}.
 * All behaviour is in {@link DurableExecution}; this class turns form fields into its input and its
 * outcome into the build result.
 */
public class WrennExecBuilder extends Builder implements SimpleBuildStep {

    private final String capsule;
    private final String command;
    private String credentialsId;
    private boolean shell = true;
    private String args;
    private String envs;
    private String cwd;
    private int timeout;
    private String filesToSend;
    private String sendInto;
    private String fetchFrom;
    private String filesToFetch;

    @DataBoundConstructor
    public WrennExecBuilder(String capsule, String command) {
        this.capsule = Util.fixEmptyAndTrim(capsule);
        this.command = command;
    }

    public String getCapsule() {
        return capsule;
    }

    public String getCommand() {
        return command;
    }

    public String getCredentialsId() {
        return credentialsId;
    }

    @DataBoundSetter
    public void setCredentialsId(String credentialsId) {
        this.credentialsId = Util.fixEmptyAndTrim(credentialsId);
    }

    /** True: the command is a shell line ({@code /bin/sh -c}); false: a program run with {@link #getArgs()}. */
    public boolean isShell() {
        return shell;
    }

    @DataBoundSetter
    public void setShell(boolean shell) {
        this.shell = shell;
    }

    /** Arguments of a program, one per line. */
    public String getArgs() {
        return args;
    }

    @DataBoundSetter
    public void setArgs(String args) {
        this.args = Util.fixEmpty(args);
    }

    /** Environment variables, one {@code KEY=VALUE} per line. */
    public String getEnvs() {
        return envs;
    }

    @DataBoundSetter
    public void setEnvs(String envs) {
        this.envs = Util.fixEmptyAndTrim(envs);
    }

    public String getCwd() {
        return cwd;
    }

    @DataBoundSetter
    public void setCwd(String cwd) {
        this.cwd = Util.fixEmptyAndTrim(cwd);
    }

    /** Seconds the command may run; 0 for no limit. */
    public int getTimeout() {
        return timeout;
    }

    @DataBoundSetter
    public void setTimeout(int timeout) {
        this.timeout = Math.max(0, timeout);
    }

    /** Ant patterns of workspace files to send into the capsule before the command; null for none. */
    public String getFilesToSend() {
        return filesToSend;
    }

    @DataBoundSetter
    public void setFilesToSend(String filesToSend) {
        this.filesToSend = Util.fixEmptyAndTrim(filesToSend);
    }

    /** The capsule directory the files are sent into. */
    public String getSendInto() {
        return sendInto;
    }

    @DataBoundSetter
    public void setSendInto(String sendInto) {
        this.sendInto = Util.fixEmptyAndTrim(sendInto);
    }

    /** The capsule directory to bring files back from after the command, even when it failed; null for none. */
    public String getFetchFrom() {
        return fetchFrom;
    }

    @DataBoundSetter
    public void setFetchFrom(String fetchFrom) {
        this.fetchFrom = Util.fixEmptyAndTrim(fetchFrom);
    }

    /** Ant patterns of the files to bring back, relative to {@link #getFetchFrom()}; null for all. */
    public String getFilesToFetch() {
        return filesToFetch;
    }

    @DataBoundSetter
    public void setFilesToFetch(String filesToFetch) {
        this.filesToFetch = Util.fixEmptyAndTrim(filesToFetch);
    }

    /** A workspace only when files move; otherwise the step also runs outside {@code node}. */
    @Override
    public boolean requiresWorkspace() {
        return filesToSend != null || fetchFrom != null;
    }

    /**
     * With files to move: sends them, runs the command, then brings files back even when the
     * command failed (not when the build was aborted). A failure to bring files back after a failed
     * command is logged, so the command's own failure stays the build's reason.
     */
    @Override
    public void perform(Run<?, ?> run, FilePath workspace, EnvVars env, Launcher launcher, TaskListener listener)
            throws InterruptedException, IOException {
        // Freestyle builds have a workspace and call this form even when no file moves.
        if (!requiresWorkspace()) {
            perform(run, env, listener);
            return;
        }
        String capsuleId;
        try {
            capsuleId = capsuleId(env);
        } catch (IllegalArgumentException e) {
            throw new AbortException(e.getMessage());
        }
        String credentials = buildTarget(run, capsuleId).credentialsId();
        if (filesToSend != null) {
            try (WrennConnection connection = WrennConnection.forBuild(credentials, run)) {
                WrennPutStep.send(
                        connection,
                        capsuleId,
                        workspace,
                        null,
                        env.expand(filesToSend),
                        null,
                        env.expand(sendInto),
                        false,
                        listener);
            }
        }
        boolean commandFailed = true;
        boolean aborted = false;
        try {
            perform(run, env, listener);
            commandFailed = false;
        } catch (InterruptedException e) {
            aborted = true;
            throw e;
        } finally {
            if (fetchFrom != null && !aborted) {
                fetchAfter(run, capsuleId, credentials, workspace, env, listener, commandFailed);
            }
        }
    }

    private void fetchAfter(
            Run<?, ?> run,
            String capsuleId,
            String credentials,
            FilePath workspace,
            EnvVars env,
            TaskListener listener,
            boolean commandFailed)
            throws InterruptedException, IOException {
        String patterns = filesToFetch == null ? "**" : env.expand(filesToFetch);
        try (WrennConnection connection = WrennConnection.forBuild(credentials, run)) {
            WrennGetStep.fetch(
                    connection, capsuleId, env.expand(fetchFrom), patterns, null, workspace, null, false, listener);
        } catch (IOException e) {
            if (!commandFailed) {
                throw e;
            }
            listener.getLogger().println(Messages.WrennExecBuilder_FetchAfterFailure(e.getMessage()));
        }
    }

    @Override
    public void perform(Run<?, ?> run, EnvVars env, TaskListener listener) throws InterruptedException, IOException {
        ExecutionSpec spec;
        try {
            spec = spec(env);
        } catch (IllegalArgumentException e) {
            throw new AbortException(e.getMessage());
        }
        WrennCapsuleContext.Target target = buildTarget(run, spec.capsuleId());
        WrennConnection connection = WrennConnection.forDurableRun(target.credentialsId(), run);
        // Recorded once the process is known, and forgotten only once it is gone, so that a
        // controller restart, which ends this build, does not leave the command running: see
        // FreestyleCommands.
        RecordedCommand recorded = new RecordedCommand(new RecordedCommand.Records() {
            @Override
            public void running(RunState state) {
                FreestyleCommands.running(run, connection.credentialsId(), state);
            }

            @Override
            public void gone(RunState state) {
                FreestyleCommands.ended(state);
            }
        });
        // Values Jenkins calls sensitive are masked in what the step writes: the header line quotes a
        // program's arguments after expansion, and core masks no password parameter in a log.
        List<String> sensitive = sensitiveValues(run, env);
        MaskingStream masked = sensitive.isEmpty() ? null : new MaskingStream(listener.getLogger(), sensitive);
        DurableRun command = connection
                .durable()
                .start(
                        spec.withCredentialsName(connection.credentialsId()),
                        masked == null ? listener.getLogger() : masked,
                        recorded.onState());
        try {
            ExecOutcome outcome = recorded.await(command);
            if (!outcome.succeeded()) {
                throw new AbortException(outcome.failureMessage());
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ExecutionFailure failure) {
                throw new AbortException(failure.getMessage());
            }
            throw new IOException(e.getCause());
        } finally {
            if (masked != null) {
                masked.finish();
            }
        }
    }

    /**
     * The values of the build's sensitive variables (password parameters, and those a build wrapper
     * such as credentials binding declares) that the build's environment holds.
     */
    private static List<String> sensitiveValues(Run<?, ?> run, EnvVars env) {
        if (!(run instanceof AbstractBuild<?, ?> build)) {
            return List.of();
        }
        List<String> values = new ArrayList<>();
        for (String name : build.getSensitiveBuildVariables()) {
            String value = env.get(name);
            if (value != null && !value.isEmpty()) {
                values.add(value);
            }
        }
        return values;
    }

    /**
     * The capsule the step uses: its own field, else the build's Wrenn capsule, whose build
     * environment sets WRENN_CAPSULE.
     */
    private String capsuleId(EnvVars env) {
        String capsuleId = Util.fixEmptyAndTrim(env.expand(capsule));
        if (capsuleId == null) {
            capsuleId = Util.fixEmptyAndTrim(env.get(WrennCapsuleStep.ENV_CAPSULE));
        }
        if (capsuleId == null) {
            throw new IllegalArgumentException(io.jenkins.plugins.wrenn.steps.Messages.WrennCapsuleContext_NoCapsule());
        }
        return capsuleId;
    }

    /**
     * The run: build variables reach a shell line as environment variables, never as its text;
     * see {@link BuildStepCommand}.
     */
    private ExecutionSpec spec(EnvVars env) {
        String capsuleId = capsuleId(env);
        if (Util.fixEmptyAndTrim(command) == null) {
            throw new IllegalArgumentException(Messages.WrennExecBuilder_CommandRequired());
        }
        return new BuildStepCommand(command, shell, args, envs, cwd, timeout).spec(capsuleId, env, env::expand);
    }

    /** The capsule's credentials: the step's own, else those of the build's Wrenn capsule when it runs there. */
    private WrennCapsuleContext.Target buildTarget(Run<?, ?> run, String capsuleId) throws AbortException {
        WrennCapsuleWrapper.BuildCapsule buildCapsule = run.getAction(WrennCapsuleWrapper.BuildCapsule.class);
        WrennCapsuleContext block = buildCapsule == null ? null : buildCapsule.asContext();
        if (block != null && !block.getCapsuleId().equals(capsuleId)) {
            block = null;
        }
        return WrennCapsuleContext.targetIn(block, capsuleId, credentialsId);
    }

    /**
     * The step's descriptor: display name, form validation, credentials drop-down, connection test.
     * It has no {@code @Symbol}: in Pipeline, {@code wrennExec} is the step, and this builder stays
     * reachable as {@code step([$class: 'WrennExecBuilder', ...])}.
     */
    @Extension
    public static class DescriptorImpl extends BuildStepDescriptor<Builder> {

        @Override
        @SuppressWarnings("rawtypes") // core declares the parameter raw, and an override must match it
        public boolean isApplicable(Class<? extends AbstractProject> jobType) {
            return true;
        }

        @Override
        public String getDisplayName() {
            return Messages.WrennExecBuilder_DescriptorImpl_DisplayName();
        }

        @POST
        public FormValidation doCheckCapsule(@AncestorInPath Item item, @QueryParameter String value) {
            return FormChecks.capsule(item, value);
        }

        @POST
        public FormValidation doCheckEnvs(@AncestorInPath Item item, @QueryParameter String value) {
            return FormChecks.envLines(item, value);
        }

        @POST
        public ListBoxModel doFillCredentialsIdItems(@AncestorInPath Item item, @QueryParameter String credentialsId) {
            return WrennCredentials.fillItems(item, credentialsId);
        }

        /**
         * Looks the capsule up with the chosen key. Without the permission to configure, it says so
         * and does nothing else: no credentials lookup and no API call.
         */
        @POST
        public FormValidation doTestConnection(
                @AncestorInPath Item item, @QueryParameter String capsule, @QueryParameter String credentialsId)
                throws InterruptedException {
            if (!FormChecks.mayConfigure(item)) {
                return FormValidation.error(io.jenkins.plugins.wrenn.Messages.FormChecks_TestNeedsConfigure());
            }
            String capsuleId = Util.fixEmptyAndTrim(capsule);
            if (capsuleId == null) {
                return FormValidation.error(io.jenkins.plugins.wrenn.Messages.FormChecks_TestNeedsCapsule());
            }
            if (capsuleId.contains("$")) {
                return FormValidation.error(io.jenkins.plugins.wrenn.Messages.FormChecks_TestVariable(capsuleId));
            }
            String shape = FormChecks.capsuleProblem(capsuleId);
            if (shape != null) {
                return FormValidation.error(shape);
            }
            String id = WrennCredentials.effectiveId(credentialsId);
            if (id == null) {
                return FormValidation.error(io.jenkins.plugins.wrenn.Messages.WrennCredentials_NoId());
            }
            String apiKey = WrennCredentials.apiKeyForTest(item, id);
            if (apiKey == null) {
                return FormValidation.error(io.jenkins.plugins.wrenn.Messages.WrennCredentials_NotFound(id));
            }
            WrennGlobalConfiguration config = WrennGlobalConfiguration.get();
            // A URL saved before it was checked on input would otherwise fail inside the client.
            String urlProblem = WrennGlobalConfiguration.apiUrlProblem(config.getApiUrl());
            if (urlProblem != null) {
                return FormValidation.error(urlProblem);
            }
            try (WrennClient client = config.newClient(apiKey)) {
                return FormChecks.shown(ConnectionCheck.capsule(client, capsuleId, id));
            }
        }
    }
}
