package io.jenkins.plugins.wrenn.steps;

import hudson.AbortException;
import hudson.Extension;
import hudson.Util;
import hudson.model.Item;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import io.jenkins.plugins.wrenn.FormChecks;
import io.jenkins.plugins.wrenn.WrennConnection;
import io.jenkins.plugins.wrenn.WrennCredentials;
import io.jenkins.plugins.wrenn.api.BackgroundProcess;
import io.jenkins.plugins.wrenn.exec.BackgroundSpec;
import io.jenkins.plugins.wrenn.exec.Command;
import io.jenkins.plugins.wrenn.exec.DurableExecution;
import io.jenkins.plugins.wrenn.exec.DurableRun;
import io.jenkins.plugins.wrenn.exec.ExecOutcome;
import io.jenkins.plugins.wrenn.exec.ExecutionFailure;
import io.jenkins.plugins.wrenn.exec.ExecutionSpec;
import io.jenkins.plugins.wrenn.exec.RunState;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.function.UnaryOperator;
import jenkins.model.Jenkins;
import net.sf.json.JSONObject;
import org.jenkinsci.plugins.structs.describable.CustomDescribableModel;
import org.jenkinsci.plugins.structs.describable.UninstantiatedDescribable;
import org.jenkinsci.plugins.workflow.actions.LabelAction;
import org.jenkinsci.plugins.workflow.graph.FlowNode;
import org.jenkinsci.plugins.workflow.steps.Step;
import org.jenkinsci.plugins.workflow.steps.StepContext;
import org.jenkinsci.plugins.workflow.steps.StepDescriptor;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
import org.kohsuke.stapler.AncestorInPath;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.StaplerRequest2;
import org.kohsuke.stapler.verb.POST;

/**
 * {@code wrennExec capsule: 'cl-...', cmd: 'pytest'}: runs a command in a capsule with its output
 * live in the step's log, like {@code sh} does on an agent. Needs no {@code node}. With
 * {@code background: true} it starts a long-running process instead and returns
 * {@code [pid:, tag:, capsule:]}.
 */
public class WrennExecStep extends Step {

    /** The longest label the Pipeline graph shows, as for {@code sh}; longer ones are cut. */
    static final int MAX_LABEL_LENGTH = 100;

    private final String capsule;
    private final String cmd;
    private List<String> args;
    private String credentialsId;
    private int timeout;
    private List<WrennEnvVar> envs;
    private String cwd;
    private boolean background;
    private String tag;
    private boolean returnStdout;
    private boolean returnStatus;
    private String label;
    private String waitFor;
    private int waitForTimeout;
    private boolean keepAlive;

    @DataBoundConstructor
    public WrennExecStep(String capsule, String cmd) {
        this.capsule = Util.fixEmptyAndTrim(capsule);
        this.cmd = cmd;
    }

    public String getCapsule() {
        return capsule;
    }

    public String getCmd() {
        return cmd;
    }

    /** Arguments of {@code cmd} as a program; when given, no shell is involved. */
    public List<String> getArgs() {
        return args;
    }

    /**
     * Sets the arguments.
     *
     * @throws IllegalArgumentException naming {@code args} and the position of a null argument
     */
    @DataBoundSetter
    public void setArgs(List<String> args) {
        if (args != null) {
            for (int i = 0; i < args.size(); i++) {
                if (args.get(i) == null) {
                    throw new IllegalArgumentException(Messages.WrennExecStep_ArgNull(Integer.toString(i + 1)));
                }
            }
        }
        this.args = args == null || args.isEmpty() ? null : List.copyOf(args);
    }

    public String getCredentialsId() {
        return credentialsId;
    }

    @DataBoundSetter
    public void setCredentialsId(String credentialsId) {
        this.credentialsId = Util.fixEmptyAndTrim(credentialsId);
    }

    /** Seconds the command may run; 0 for no limit. */
    public int getTimeout() {
        return timeout;
    }

    @DataBoundSetter
    public void setTimeout(int timeout) {
        this.timeout = timeout;
    }

    /**
     * Environment variables. A Jenkinsfile gives a map ({@code envs: [PORT: 8080, DEBUG: true]}),
     * which the descriptor turns into these (see {@link WrennEnvVar}); {@link #environment()} checks
     * them when the step runs.
     */
    public List<WrennEnvVar> getEnvs() {
        return envs;
    }

    @DataBoundSetter
    public void setEnvs(List<WrennEnvVar> envs) {
        this.envs = envs == null || envs.isEmpty() ? null : List.copyOf(envs);
    }

    public String getCwd() {
        return cwd;
    }

    @DataBoundSetter
    public void setCwd(String cwd) {
        this.cwd = Util.fixEmptyAndTrim(cwd);
    }

    public boolean isBackground() {
        return background;
    }

    @DataBoundSetter
    public void setBackground(boolean background) {
        this.background = background;
    }

    public String getTag() {
        return tag;
    }

    @DataBoundSetter
    public void setTag(String tag) {
        this.tag = Util.fixEmptyAndTrim(tag);
    }

    public boolean isReturnStdout() {
        return returnStdout;
    }

    @DataBoundSetter
    public void setReturnStdout(boolean returnStdout) {
        this.returnStdout = returnStdout;
    }

    public boolean isReturnStatus() {
        return returnStatus;
    }

    @DataBoundSetter
    public void setReturnStatus(boolean returnStatus) {
        this.returnStatus = returnStatus;
    }

    /** Shown in the Pipeline graph instead of the command. */
    public String getLabel() {
        return label;
    }

    @DataBoundSetter
    public void setLabel(String label) {
        this.label = Util.fixEmptyAndTrim(label);
    }

    /** Background only: text the process prints once it is ready. */
    public String getWaitFor() {
        return waitFor;
    }

    @DataBoundSetter
    public void setWaitFor(String waitFor) {
        this.waitFor = Util.fixEmpty(waitFor);
    }

    /** Background only: seconds to wait for {@link #getWaitFor()}; 0 for the default (60). */
    public int getWaitForTimeout() {
        return waitForTimeout;
    }

    @DataBoundSetter
    public void setWaitForTimeout(int waitForTimeout) {
        this.waitForTimeout = waitForTimeout;
    }

    /** Background only: leave the process running when the build ends. */
    public boolean isKeepAlive() {
        return keepAlive;
    }

    @DataBoundSetter
    public void setKeepAlive(boolean keepAlive) {
        this.keepAlive = keepAlive;
    }

    @Override
    public StepExecution start(StepContext context) throws Exception {
        if (label != null) {
            FlowNode node = context.get(FlowNode.class);
            if (node != null) {
                node.addAction(new LabelAction(graphLabel(label)));
            }
        }
        return new Execution(this, context);
    }

    /** The label as the Pipeline graph shows it: cut to {@link #MAX_LABEL_LENGTH} characters, as {@code sh} does. */
    static String graphLabel(String label) {
        return label.length() <= MAX_LABEL_LENGTH ? label : label.substring(0, MAX_LABEL_LENGTH);
    }

    /** Refuses combinations that cannot mean anything, naming the fields. */
    void checkOptions() {
        if (cmd == null || cmd.isBlank()) {
            throw new IllegalArgumentException(Messages.WrennExecStep_CmdRequired());
        }
        if (returnStdout && returnStatus) {
            throw new IllegalArgumentException(Messages.WrennExecStep_ReturnBoth());
        }
        if (timeout < 0 || waitForTimeout < 0) {
            throw new IllegalArgumentException(Messages.WrennExecStep_NegativeTimeout());
        }
        if (background && (returnStdout || returnStatus || timeout > 0)) {
            throw new IllegalArgumentException(Messages.WrennExecStep_NotWithBackground());
        }
        if (!background && (tag != null || waitFor != null || waitForTimeout > 0 || keepAlive)) {
            throw new IllegalArgumentException(Messages.WrennExecStep_BackgroundOnly());
        }
        environment();
    }

    /**
     * The environment variables by name, in order.
     *
     * @throws IllegalArgumentException naming the variable, for an empty name or a null value
     */
    Map<String, String> environment() {
        Map<String, String> text = new LinkedHashMap<>();
        if (envs == null) {
            return text;
        }
        for (WrennEnvVar variable : envs) {
            if (variable.getName().isEmpty()) {
                throw new IllegalArgumentException(Messages.WrennExecStep_EnvNoName());
            }
            if (variable.getValue() == null) {
                throw new IllegalArgumentException(Messages.WrennExecStep_EnvNullValue(variable.getName()));
            }
            text.put(variable.getName(), variable.getValue());
        }
        return text;
    }

    /** What the Pipeline Steps view shows as the call's arguments: the command, as for {@code sh}. */
    static String displayArguments(Map<String, Object> namedArgs) {
        Object command = namedArgs.get("cmd");
        return command instanceof String s ? s : null;
    }

    /**
     * The step's result once a foreground command has ended, as {@code sh} gives it: the exit code,
     * the standard output, or nothing; a non-zero exit fails the step, after writing captured
     * standard output to the log so that the reader can see why.
     *
     * @param forLog masks what the log must not show (the API key)
     */
    static Object result(
            ExecOutcome outcome,
            boolean returnStdout,
            boolean returnStatus,
            PrintStream log,
            UnaryOperator<String> forLog)
            throws AbortException {
        if (returnStatus) {
            return outcome.exitCode();
        }
        if (!outcome.succeeded()) {
            String stdout = outcome.stdout();
            if (stdout != null && !stdout.isEmpty()) {
                log.print(forLog.apply(stdout));
                if (!stdout.endsWith("\n")) {
                    log.println();
                }
                log.flush();
            }
            throw new AbortException(outcome.failureMessage());
        }
        return returnStdout ? outcome.stdout() : null;
    }

    Command command() {
        return args == null ? Command.shell(cmd) : Command.program(cmd.strip(), args);
    }

    /**
     * Runs the step asynchronously: a foreground command runs on the shared {@link DurableExecution}
     * engine and holds no thread while it waits, and its {@link RunState} (capsule, pid, control
     * files, output offsets) is saved with the Pipeline, so that after a controller restart
     * {@link #onResume()} continues the same command, its log from where it stopped, and its real
     * exit code. {@link #stop} stops the remote process and completes the step only once it is
     * gone, or after a bounded wait, saying which in the log; the build shows ABORTED either way.
     * A background start ({@code background: true}) is short and runs on a virtual thread.
     */
    static final class Execution extends StepExecution {

        private static final long serialVersionUID = 1L;

        private final transient WrennExecStep step;

        /** Foreground only: what {@link #onResume()} needs to find the command again. */
        private volatile RunState state;

        /** The credentials in use: the step's, else the enclosing wrennCapsule block's; set by start(). */
        private volatile String credentialsId;

        private final boolean returnStdout;
        private final boolean returnStatus;

        private transient volatile DurableRun run;
        private transient volatile Thread backgroundStart;
        private transient volatile boolean stopping;

        Execution(WrennExecStep step, StepContext context) {
            super(context);
            this.step = step;
            this.returnStdout = step.returnStdout;
            this.returnStatus = step.returnStatus;
        }

        @Override
        public boolean start() throws Exception {
            try {
                step.checkOptions();
            } catch (IllegalArgumentException e) {
                throw new AbortException(e.getMessage());
            }
            Run<?, ?> build = getContext().get(Run.class);
            TaskListener listener = getContext().get(TaskListener.class);
            WrennCapsuleContext.Target target =
                    WrennCapsuleContext.target(getContext(), step.capsule, step.credentialsId);
            credentialsId = target.credentialsId();
            String capsule = target.capsule();
            if (step.background) {
                backgroundStart = Thread.ofVirtual()
                        .name("Wrenn background start in " + capsule)
                        .start(() -> startBackground(build, listener, capsule));
                return false;
            }
            WrennConnection connection = WrennConnection.forDurableRun(credentialsId, build);
            // The global default as it is now: a resumed step must use the same key after a restart.
            credentialsId = connection.credentialsId();
            ExecutionSpec spec;
            try {
                spec = new ExecutionSpec(
                        capsule,
                        step.command(),
                        step.environment(),
                        step.cwd,
                        step.timeout > 0 ? Duration.ofSeconds(step.timeout) : null,
                        step.returnStdout,
                        connection.credentialsId());
            } catch (IllegalArgumentException e) {
                throw new AbortException(e.getMessage());
            }
            follow(connection, connection.durable().start(spec, listener.getLogger(), this::saveState), listener);
            return false;
        }

        /**
         * Finds the command again after a restart. The work runs on a virtual thread: the Pipeline
         * may still be loading when this is called.
         */
        @Override
        public void onResume() {
            Thread.ofVirtual().name("Wrenn resume").start(this::resumeNow);
        }

        private void resumeNow() {
            RunState saved = state;
            try {
                if (saved == null) {
                    // A background start, or a command that had not started: nothing to find again.
                    throw new AbortException(Messages.WrennExecStep_CannotResume());
                }
                Run<?, ?> build = getContext().get(Run.class);
                TaskListener listener = getContext().get(TaskListener.class);
                WrennConnection connection = WrennConnection.forDurableRun(credentialsId, build);
                DurableRun resumed = connection.durable().resume(saved, listener.getLogger(), this::saveState);
                follow(connection, resumed, listener);
                if (stopping) {
                    // Stopped while the run was being found again: the step has ended; stop the command too.
                    resumed.stop();
                }
            } catch (Exception e) {
                getContext().onFailure(e);
            }
        }

        /** Completes the step when the run ends (a stop completes it itself). */
        private void follow(WrennConnection connection, DurableRun started, TaskListener listener) {
            run = started;
            state = started.state();
            started.outcome().whenComplete((outcome, failure) -> {
                state = started.state();
                if (stopping) {
                    return;
                }
                try {
                    if (failure != null) {
                        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                                ? failure.getCause()
                                : failure;
                        getContext()
                                .onFailure(
                                        cause instanceof ExecutionFailure e
                                                ? new AbortException(e.getMessage())
                                                : cause);
                        return;
                    }
                    getContext()
                            .onSuccess(result(
                                    outcome, returnStdout, returnStatus, listener.getLogger(), connection::masked));
                } catch (Exception e) {
                    getContext().onFailure(e);
                }
            });
        }

        /** Keeps the latest state and asks Pipeline to save it (the pid became known, or output advanced). */
        private void saveState(RunState latest) {
            state = latest;
            // Not on the stream's reading thread: saving goes through the Pipeline's own thread.
            Thread.ofVirtual().name("Wrenn save state").start(() -> getContext().saveState());
        }

        @Override
        public void stop(Throwable cause) throws Exception {
            stopping = true;
            DurableRun r = run;
            Thread starting = backgroundStart;
            if (starting != null) {
                starting.interrupt();
            }
            if (r == null) {
                getContext().onFailure(cause);
                return;
            }
            r.stop().whenComplete((result, failure) -> getContext().onFailure(cause));
        }

        @Override
        public String getStatus() {
            DurableRun r = run;
            if (r != null) {
                return r.status();
            }
            return backgroundStart != null ? "starting a background process" : "not started";
        }

        /** The state as it is now, whenever Pipeline saves this execution. */
        private void writeObject(ObjectOutputStream out) throws IOException {
            DurableRun r = run;
            if (r != null) {
                state = r.state();
            }
            out.defaultWriteObject();
        }

        private void startBackground(Run<?, ?> build, TaskListener listener, String capsule) {
            try (WrennConnection connection = WrennConnection.forBuild(credentialsId, build)) {
                BackgroundSpec spec = new BackgroundSpec(
                        capsule,
                        step.command(),
                        step.environment(),
                        step.cwd,
                        step.tag,
                        step.waitFor,
                        step.waitForTimeout > 0 ? Duration.ofSeconds(step.waitForTimeout) : null,
                        connection.credentialsId());
                BackgroundProcess p = connection.backgroundProcesses().start(spec, listener.getLogger());
                BackgroundProcessesAction.of(build)
                        .started(capsule, p.pid(), p.tag(), connection.credentialsId(), step.keepAlive);
                if (stopping) {
                    // Stopped while the process started: the step has ended already; its process goes too.
                    if (!step.keepAlive) {
                        connection.backgroundProcesses().stop(capsule, p.pid(), listener.getLogger());
                        BackgroundProcessesAction.of(build).stopped(capsule, Long.toString(p.pid()));
                    }
                    return;
                }
                // A plain map: serializable for the CPS program, and srv.pid / srv.tag work in the sandbox.
                Map<String, Object> handle = new LinkedHashMap<>();
                handle.put("pid", p.pid());
                handle.put("tag", p.tag());
                handle.put("capsule", capsule);
                getContext().onSuccess(handle);
            } catch (InterruptedException e) {
                if (!stopping) {
                    getContext().onFailure(e);
                }
                // Stopped: the step has ended with the stop cause; the engine stopped the process.
            } catch (ExecutionFailure | IllegalArgumentException e) {
                getContext().onFailure(new AbortException(e.getMessage()));
            } catch (Exception e) {
                getContext().onFailure(e);
            }
        }
    }

    /** The step's name, its context, its label in the Pipeline graph, and the Snippet Generator's checks. */
    @Extension
    public static class DescriptorImpl extends StepDescriptor implements CustomDescribableModel {

        @Override
        public String getFunctionName() {
            return "wrennExec";
        }

        @Override
        public String getDisplayName() {
            return Messages.WrennExecStep_DescriptorImpl_DisplayName();
        }

        @Override
        public Set<? extends Class<?>> getRequiredContext() {
            return Set.of(Run.class, TaskListener.class);
        }

        @Override
        public String argumentsToString(Map<String, Object> namedArgs) {
            return displayArguments(namedArgs);
        }

        /**
         * Binds the form as usual, then turns its {@code argRows} and {@code envRows} (names no
         * property has, so binding passes them by) into the arguments and the variables: the
         * Snippet Generator then writes {@code args: ['-u', 'x'], envs: [PORT: '8080']}.
         */
        @Override
        public Step newInstance(StaplerRequest2 req, JSONObject formData) throws FormException {
            WrennExecStep step = (WrennExecStep) super.newInstance(req, formData);
            step.setArgs(StepFormRows.args(formData.opt(StepFormRows.ARG_ROWS)));
            step.setEnvs(StepFormRows.envs(formData.opt(StepFormRows.ENV_ROWS)));
            return step;
        }

        /** A Jenkinsfile's {@code envs} map becomes the list of variables the step takes. */
        @Override
        public Map<String, Object> customInstantiate(Map<String, Object> arguments) {
            return WrennEnvVar.listForm(arguments);
        }

        /** A snippet writes {@code envs} as the map a Jenkinsfile gives. */
        @Override
        public UninstantiatedDescribable customUninstantiate(UninstantiatedDescribable ud) {
            return ud.withArguments(WrennEnvVar.scriptForm(
                    ud.getArguments(), v -> v instanceof UninstantiatedDescribable u ? u.getArguments() : null));
        }

        /** The rows the form shows for a configured step's {@code envs}. */
        public List<StepFormRows.Variable> envRows(WrennExecStep instance) {
            return StepFormRows.variables(instance == null ? null : instance.getEnvs());
        }

        // An empty field is not flagged: the Snippet Generator opens with every field empty.

        @POST
        public FormValidation doCheckCapsule(@AncestorInPath Item item, @QueryParameter String value) {
            return FormChecks.capsule(item, value);
        }

        @POST
        public FormValidation doCheckLabel(@AncestorInPath Item item, @QueryParameter String value) {
            boolean mayConfigure =
                    item == null ? Jenkins.get().hasPermission(Jenkins.ADMINISTER) : item.hasPermission(Item.CONFIGURE);
            if (!mayConfigure || value == null || value.strip().length() <= MAX_LABEL_LENGTH) {
                return FormValidation.ok();
            }
            return FormValidation.warning(Messages.WrennExecStep_LabelTooLong(Integer.toString(MAX_LABEL_LENGTH)));
        }

        @POST
        public ListBoxModel doFillCredentialsIdItems(@AncestorInPath Item item, @QueryParameter String credentialsId) {
            return WrennCredentials.fillItems(item, credentialsId);
        }
    }
}
