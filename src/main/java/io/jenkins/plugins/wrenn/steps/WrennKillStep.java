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
import io.jenkins.plugins.wrenn.api.Signal;
import io.jenkins.plugins.wrenn.exec.ExecutionFailure;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jenkinsci.plugins.workflow.steps.Step;
import org.jenkinsci.plugins.workflow.steps.StepContext;
import org.jenkinsci.plugins.workflow.steps.StepDescriptor;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
import org.jenkinsci.plugins.workflow.steps.SynchronousNonBlockingStepExecution;
import org.kohsuke.stapler.AncestorInPath;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.verb.POST;

/**
 * {@code wrennKill capsule: 'cl-...', tag: srv.tag}: sends SIGTERM (or SIGKILL) to a process in a
 * capsule, by tag or pid. A process that already ended is not an error unless
 * {@code failIfNotRunning: true}. Returns whether a process was signalled.
 */
public class WrennKillStep extends Step {

    private final String capsule;
    private String tag;
    private long pid;
    private String signal = Signal.SIGTERM.name();
    private String credentialsId;
    private boolean failIfNotRunning;

    @DataBoundConstructor
    public WrennKillStep(String capsule) {
        this.capsule = Util.fixEmptyAndTrim(capsule);
    }

    public String getCapsule() {
        return capsule;
    }

    public String getTag() {
        return tag;
    }

    @DataBoundSetter
    public void setTag(String tag) {
        this.tag = Util.fixEmptyAndTrim(tag);
    }

    public long getPid() {
        return pid;
    }

    @DataBoundSetter
    public void setPid(long pid) {
        this.pid = pid;
    }

    public String getSignal() {
        return signal;
    }

    @DataBoundSetter
    public void setSignal(String signal) {
        String s = Util.fixEmptyAndTrim(signal);
        this.signal = s == null ? Signal.SIGTERM.name() : s.toUpperCase(Locale.ROOT);
    }

    public String getCredentialsId() {
        return credentialsId;
    }

    @DataBoundSetter
    public void setCredentialsId(String credentialsId) {
        this.credentialsId = Util.fixEmptyAndTrim(credentialsId);
    }

    public boolean isFailIfNotRunning() {
        return failIfNotRunning;
    }

    @DataBoundSetter
    public void setFailIfNotRunning(boolean failIfNotRunning) {
        this.failIfNotRunning = failIfNotRunning;
    }

    @Override
    public StepExecution start(StepContext context) {
        return new Execution(this, context);
    }

    /** The process to signal, as the API selects it: a tag or a pid. */
    String selector() {
        if ((tag == null) == (pid <= 0)) {
            throw new IllegalArgumentException(Messages.WrennKillStep_TagOrPid());
        }
        // One segment of the request path, where "." and ".." would name the capsule or its list.
        if (".".equals(tag) || "..".equals(tag)) {
            throw new IllegalArgumentException(Messages.WrennKillStep_DotTag(tag));
        }
        return tag != null ? tag : Long.toString(pid);
    }

    Signal parsedSignal() {
        try {
            return Signal.valueOf(signal);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(Messages.WrennKillStep_BadSignal(signal));
        }
    }

    static final class Execution extends SynchronousNonBlockingStepExecution<Boolean> {

        private static final long serialVersionUID = 1L;

        private final transient WrennKillStep step;

        Execution(WrennKillStep step, StepContext context) {
            super(context);
            this.step = step;
        }

        @Override
        protected Boolean run() throws Exception {
            Run<?, ?> run = getContext().get(Run.class);
            TaskListener listener = getContext().get(TaskListener.class);
            String selector;
            Signal signal;
            try {
                selector = step.selector();
                signal = step.parsedSignal();
            } catch (IllegalArgumentException e) {
                throw new AbortException(e.getMessage());
            }
            WrennCapsuleContext.Target target =
                    WrennCapsuleContext.target(getContext(), step.capsule, step.credentialsId);
            String capsule = target.capsule();
            boolean signalled;
            try (WrennConnection connection = WrennConnection.forBuild(target.credentialsId(), run)) {
                signalled =
                        connection.backgroundProcesses().kill(capsule, selector, signal, connection.credentialsId());
            } catch (ExecutionFailure e) {
                throw new AbortException(e.getMessage());
            }
            BackgroundProcessesAction.of(run).stopped(capsule, selector);
            if (signalled) {
                listener.getLogger().println(Messages.WrennKillStep_Sent(signal, selector, capsule));
            } else if (step.failIfNotRunning) {
                throw new AbortException(Messages.WrennKillStep_NotRunning(selector, capsule));
            } else {
                listener.getLogger().println(Messages.WrennKillStep_AlreadyEnded(selector, capsule));
            }
            return signalled;
        }
    }

    /**
     * What the Pipeline Steps view shows as the call's arguments: the process it stops, by tag or
     * pid, and the signal when it is not the default SIGTERM; null when the call names neither.
     */
    static String displayArguments(Map<String, Object> namedArgs) {
        Object tag = namedArgs.get("tag");
        Object pid = namedArgs.get("pid");
        String process;
        if (tag instanceof CharSequence t && !t.toString().isBlank()) {
            process = "tag " + t.toString().strip();
        } else if (pid instanceof Number || pid instanceof CharSequence) {
            process = "pid " + pid.toString().strip();
        } else {
            return null;
        }
        Object signal = namedArgs.get("signal");
        return signal instanceof CharSequence s
                        && !s.toString().isBlank()
                        && !s.toString().strip().equals(Signal.SIGTERM.name())
                ? process + ", " + s.toString().strip()
                : process;
    }

    /** The step's name, its context and the Snippet Generator's checks. */
    @Extension
    public static class DescriptorImpl extends StepDescriptor {

        @Override
        public String getFunctionName() {
            return "wrennKill";
        }

        @Override
        public String getDisplayName() {
            return Messages.WrennKillStep_DescriptorImpl_DisplayName();
        }

        @Override
        public Set<? extends Class<?>> getRequiredContext() {
            return Set.of(Run.class, TaskListener.class);
        }

        @Override
        public String argumentsToString(Map<String, Object> namedArgs) {
            return displayArguments(namedArgs);
        }

        @POST
        public FormValidation doCheckCapsule(@AncestorInPath Item item, @QueryParameter String value) {
            return FormChecks.capsule(item, value);
        }

        /** The signals the API honours; a fixed list, so anyone who sees the form may have it. */
        @POST
        public ListBoxModel doFillSignalItems() {
            ListBoxModel model = new ListBoxModel();
            for (Signal s : Signal.values()) {
                model.add(s.name());
            }
            return model;
        }

        @POST
        public ListBoxModel doFillCredentialsIdItems(@AncestorInPath Item item, @QueryParameter String credentialsId) {
            return WrennCredentials.fillItems(item, credentialsId);
        }
    }
}
