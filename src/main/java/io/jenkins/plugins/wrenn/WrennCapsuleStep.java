package io.jenkins.plugins.wrenn;

import hudson.AbortException;
import hudson.Extension;
import hudson.Util;
import hudson.init.Terminator;
import hudson.model.Item;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleFailure;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLease;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleOptions;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleRecords;
import io.jenkins.plugins.wrenn.lifecycle.KeepPolicy;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jenkinsci.plugins.workflow.steps.BodyExecution;
import org.jenkinsci.plugins.workflow.steps.BodyExecutionCallback;
import org.jenkinsci.plugins.workflow.steps.EnvironmentExpander;
import org.jenkinsci.plugins.workflow.steps.Step;
import org.jenkinsci.plugins.workflow.steps.StepContext;
import org.jenkinsci.plugins.workflow.steps.StepDescriptor;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
import org.kohsuke.stapler.AncestorInPath;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.verb.POST;

/**
 * {@code wrennCapsule(template: 'python-3.12') { ... }}: runs its body with a fresh capsule (or an
 * existing one) as the default capsule of every Wrenn step inside, and {@code env.WRENN_CAPSULE}
 * set; destroys a fresh capsule when the body ends, however it ends, also after a controller
 * restart during the body.
 */
public class WrennCapsuleStep extends Step {

    /** The environment variable that names the block's capsule. */
    public static final String ENV_CAPSULE = "WRENN_CAPSULE";

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
    public WrennCapsuleStep() {}

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

    CapsuleOptions options() {
        return new CapsuleOptions(
                template,
                vcpus,
                memoryMb,
                timeoutSec,
                waitTimeout,
                keep ? KeepPolicy.ALWAYS : KeepPolicy.NEVER,
                capsule,
                resume,
                pauseAfter);
    }

    @Override
    public StepExecution start(StepContext context) {
        return new Execution(options(), WrennCredentials.effectiveId(credentialsId), context);
    }

    /** Executions still preparing their capsule, which a Jenkins shutting down lets go of. */
    private static final Set<Execution> PREPARING = ConcurrentHashMap.newKeySet();

    /**
     * Lets go of the preparations when Jenkins shuts down: they no longer end their steps or
     * start bodies, and leave their capsules (saved with the step as soon as known) for the next
     * Jenkins to give back. (A restart within one JVM, as the real-build tests do, would otherwise
     * leave them acting for a Jenkins that is gone.)
     */
    @Terminator
    public static void detachAll() {
        PREPARING.forEach(e -> e.detached = true);
        PREPARING.clear();
    }

    /** Where capsules are created, waited for and destroyed: never on the Pipeline's own thread. */
    private static final ExecutorService LIFECYCLE = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "Wrenn capsule lifecycle");
        t.setDaemon(true);
        return t;
    });

    /**
     * Gets the capsule on a thread of its own, then runs the body with it; the body's callback
     * gives it back. Everything it needs after a restart is in serializable fields: the lease,
     * and the body, whose callback still runs when the resumed body ends.
     */
    static final class Execution extends StepExecution {

        private static final long serialVersionUID = 1L;

        /** Only needed until the body starts, which a restart does not outlive. */
        private final transient CapsuleOptions options;

        private final String credentialsId;
        private volatile CapsuleLease lease;
        private volatile BodyExecution body;
        private transient boolean submitted;
        private transient Thread worker;
        private transient Throwable stopCause;
        private transient volatile boolean detached;

        Execution(CapsuleOptions options, String credentialsId, StepContext context) {
            super(context);
            this.options = options;
            this.credentialsId = credentialsId;
        }

        @Override
        public boolean start() throws Exception {
            String problem = options.problem();
            if (problem != null) {
                throw new AbortException(problem);
            }
            synchronized (this) {
                submitted = true;
            }
            PREPARING.add(this);
            LIFECYCLE.submit(this::prepare);
            return false;
        }

        private void prepare() {
            StepContext context = getContext();
            synchronized (this) {
                if (stopCause != null) {
                    PREPARING.remove(this);
                    context.onFailure(stopCause);
                    return;
                }
                worker = Thread.currentThread();
            }
            try {
                CapsuleLease acquired;
                try (WrennConnection connection = WrennConnection.forBuild(credentialsId, context.get(Run.class))) {
                    acquired = connection
                            .lifecycle()
                            .acquire(
                                    options,
                                    CapsuleRecords.NONE,
                                    context.get(TaskListener.class).getLogger(),
                                    known -> {
                                        lease = known;
                                        // Saved before the wait: a restart during it still finds the capsule to give
                                        // back.
                                        context.saveState();
                                    });
                }
                if (detached) {
                    return;
                }
                synchronized (this) {
                    if (stopCause == null) {
                        worker = null;
                        body = context.newBodyInvoker()
                                .withContexts(
                                        new WrennCapsuleContext(acquired.capsuleId(), credentialsId),
                                        EnvironmentExpander.merge(
                                                context.get(EnvironmentExpander.class),
                                                EnvironmentExpander.constant(
                                                        Map.of(ENV_CAPSULE, acquired.capsuleId()))))
                                .withCallback(new GiveBack(acquired, credentialsId))
                                .start();
                        return;
                    }
                }
                // Stopped just as the capsule became ready; the stop's interrupt must not cut the clean-up.
                Thread.interrupted();
                GiveBack.release(context, acquired, credentialsId);
                context.onFailure(stopCause);
            } catch (CapsuleFailure e) {
                if (!detached) {
                    context.onFailure(stopCauseOr(new AbortException(e.getMessage())));
                }
            } catch (Exception e) {
                // InterruptedException included: after a stop, the capsule has been destroyed by now.
                if (!detached) {
                    context.onFailure(stopCauseOr(e));
                }
            } finally {
                PREPARING.remove(this);
                synchronized (this) {
                    worker = null;
                }
                // A pool thread must not carry a stop's interrupt into its next task.
                Thread.interrupted();
            }
        }

        private synchronized Throwable stopCauseOr(Throwable failure) {
            return stopCause != null ? stopCause : failure;
        }

        /**
         * An abort or {@code timeout {}}: a running body is cancelled, and its callback gives the
         * capsule back; while the capsule is still being prepared, the preparation is interrupted,
         * destroys a capsule it created, and then ends the step with the stop's cause, so that the
         * log shows the clean-up before the build ends.
         */
        @Override
        public void stop(Throwable cause) throws Exception {
            BodyExecution running;
            Thread preparing;
            boolean pending;
            synchronized (this) {
                if (stopCause == null) {
                    stopCause = cause;
                }
                running = body;
                preparing = worker;
                pending = submitted;
            }
            if (running != null) {
                running.cancel(cause);
            } else if (preparing != null) {
                preparing.interrupt();
            } else if (!pending) {
                // After a restart: no preparation is left to end the step.
                getContext().onFailure(cause);
            }
        }

        /**
         * After a controller restart: a body that had started resumes by itself, and its callback
         * gives the capsule back when it ends. A restart while the capsule was being prepared
         * leaves no thread to finish that: give back what is known and fail the step.
         */
        @Override
        public void onResume() {
            if (body != null) {
                return;
            }
            StepContext context = getContext();
            CapsuleLease known = lease;
            synchronized (this) {
                // A stop from now on leaves ending the step to this task, so it ends once.
                submitted = true;
            }
            LIFECYCLE.submit(() -> {
                try {
                    if (known != null) {
                        GiveBack.release(context, known, credentialsId);
                    }
                    context.onFailure(stopCauseOr(new AbortException(
                            known != null
                                    ? Messages.WrennCapsuleStep_RestartedWhilePreparing(known.capsuleId())
                                    : Messages.WrennCapsuleStep_RestartedBeforeCreate())));
                } catch (Exception e) {
                    context.onFailure(e);
                }
            });
        }
    }

    /**
     * Gives the capsule back when the body ends, on the lifecycle thread, then ends the step as the
     * body ended. A capsule that could not be given back fails a body that succeeded; after a
     * failed body, the body's failure stays the step's and the log says what was left.
     */
    static final class GiveBack extends BodyExecutionCallback {

        private static final long serialVersionUID = 1L;

        private final CapsuleLease lease;
        private final String credentialsId;

        GiveBack(CapsuleLease lease, String credentialsId) {
            this.lease = lease;
            this.credentialsId = credentialsId;
        }

        @Override
        public void onSuccess(StepContext context, Object result) {
            LIFECYCLE.submit(() -> {
                try {
                    release(context, lease, credentialsId);
                    context.onSuccess(result);
                } catch (CapsuleFailure e) {
                    context.onFailure(new AbortException(e.getMessage()));
                } catch (Exception e) {
                    context.onFailure(e);
                }
            });
        }

        @Override
        public void onFailure(StepContext context, Throwable t) {
            LIFECYCLE.submit(() -> {
                try {
                    release(context, lease, credentialsId);
                } catch (CapsuleFailure e) {
                    log(context, e.getMessage());
                } catch (Exception e) {
                    t.addSuppressed(e);
                }
                context.onFailure(t);
            });
        }

        static void release(StepContext context, CapsuleLease lease, String credentialsId) throws Exception {
            TaskListener listener = context.get(TaskListener.class);
            Run<?, ?> run = context.get(Run.class);
            try (WrennConnection connection = WrennConnection.forBuild(credentialsId, run)) {
                if (connection.lifecycle().release(lease, listener.getLogger()).gone()) {
                    processesGone(run, lease.capsuleId());
                }
            }
        }

        private static void log(StepContext context, String text) {
            try {
                context.get(TaskListener.class).getLogger().println(text);
            } catch (Exception e) {
                // No log to write to: the build is gone.
            }
        }
    }

    /**
     * Background processes the build started in a capsule it has destroyed went with the capsule:
     * the build-end clean-up must not try to stop them.
     */
    static void processesGone(Run<?, ?> run, String capsuleId) {
        BackgroundProcessesAction action = run.getAction(BackgroundProcessesAction.class);
        if (action == null) {
            return;
        }
        for (BackgroundProcessesAction.Entry e : action.leftOver()) {
            if (capsuleId.equals(e.getCapsule())) {
                action.stopped(capsuleId, Long.toString(e.getPid()));
            }
        }
    }

    /** The step's name, its block, and the Snippet Generator's form. */
    @Extension
    public static class DescriptorImpl extends StepDescriptor {

        @Override
        public String getFunctionName() {
            return "wrennCapsule";
        }

        @Override
        public String getDisplayName() {
            return Messages.WrennCapsuleStep_DescriptorImpl_DisplayName();
        }

        @Override
        public boolean takesImplicitBlockArgument() {
            return true;
        }

        @Override
        public Set<? extends Class<?>> getRequiredContext() {
            return Set.of(Run.class, TaskListener.class);
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
