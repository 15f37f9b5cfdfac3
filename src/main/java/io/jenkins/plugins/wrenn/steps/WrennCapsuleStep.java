package io.jenkins.plugins.wrenn.steps;

import hudson.AbortException;
import hudson.Extension;
import hudson.Util;
import hudson.init.Terminator;
import hudson.model.Item;
import hudson.model.Run;
import hudson.model.TaskListener;
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
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.jenkinsci.plugins.structs.describable.CustomDescribableModel;
import org.jenkinsci.plugins.workflow.steps.BodyExecution;
import org.jenkinsci.plugins.workflow.steps.BodyExecutionCallback;
import org.jenkinsci.plugins.workflow.steps.EnvironmentExpander;
import org.jenkinsci.plugins.workflow.steps.Step;
import org.jenkinsci.plugins.workflow.steps.StepContext;
import org.jenkinsci.plugins.workflow.steps.StepDescriptor;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
import org.kohsuke.accmod.Restricted;
import org.kohsuke.accmod.restrictions.NoExternalUse;
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
    private KeepPolicy keep = KeepPolicy.NEVER;
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

    /** {@code never} (shown as nothing, the default), {@code onFailure} or {@code always}. */
    public String getKeep() {
        return keep == KeepPolicy.NEVER ? null : keep.token();
    }

    /**
     * Sets when a fresh capsule is kept, paused, at the end. A boolean ({@code keep: true}) is
     * turned into its word before it gets here, see {@link DescriptorImpl#customInstantiate}.
     *
     * @throws IllegalArgumentException naming the words the option takes
     */
    @DataBoundSetter
    public void setKeep(String keep) {
        this.keep = KeepPolicy.parse(keep);
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
                template, vcpus, memoryMb, timeoutSec, waitTimeout, keep, capsule, resume, pauseAfter);
    }

    @Override
    public StepExecution start(StepContext context) {
        return new Execution(options(), WrennCredentials.effectiveId(credentialsId), context);
    }

    /** Executions still preparing their capsule, which a Jenkins shutting down lets go of. */
    private static final Set<Execution> PREPARING = ConcurrentHashMap.newKeySet();

    /**
     * Which Jenkins a task on the lifecycle threads acts for: a task that finds it changed (a
     * restart within the JVM) neither ends its step nor starts a body, as its step belongs to a
     * Jenkins that is gone; the resumed step redoes what it was doing.
     */
    private static final AtomicLong EPOCH = new AtomicLong();

    /**
     * Lets go of the preparations and give-backs when Jenkins shuts down: they no longer end their
     * steps or start bodies, and leave their capsules (saved with the step as soon as known) for the
     * next Jenkins to give back. (A restart within one JVM, as the real-build tests do, would
     * otherwise leave them acting for a Jenkins that is gone.)
     */
    @Terminator
    public static void detachAll() {
        EPOCH.incrementAndGet();
        PREPARING.forEach(e -> e.detached = true);
        PREPARING.clear();
        // The slots of running blocks are taken again as they resume.
        CapsuleOwnership.SLOTS.clear();
    }

    /** Where capsules are created, waited for and destroyed: never on the Pipeline's own thread. */
    private static final ExecutorService LIFECYCLE = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "Wrenn capsule lifecycle");
        t.setDaemon(true);
        return t;
    });

    /** How the body ended, saved before the capsule is given back. */
    static final class Ending implements Serializable {
        private static final long serialVersionUID = 1L;

        private final Object result;
        private final Throwable failure;

        Ending(Object result, Throwable failure) {
            this.result = result;
            this.failure = failure;
        }

        boolean failed() {
            return failure != null;
        }
    }

    /**
     * Waits for a capsule slot (Maximum capsules at once) without a thread, gets the capsule on a
     * thread of its own, then runs the body with it; the body's callback gives it back. Everything
     * it needs after a restart is in serializable fields: the lease, the body (whose callback still
     * runs when the resumed body ends), and how the body ended, so that a restart during the
     * give-back redoes it.
     */
    static final class Execution extends StepExecution {

        private static final long serialVersionUID = 1L;

        /** Saved with the step, so that it is never null: a restart may come before {@link #start}. */
        private final CapsuleOptions options;

        private final String credentialsId;
        /** The ledger record of a capsule this block creates, and the key of its capsule slot. */
        private final String recordId;

        private volatile CapsuleLease lease;
        private volatile BodyExecution body;
        private volatile Ending ending;
        private transient boolean submitted;
        private transient Thread worker;
        private transient Throwable stopCause;
        private transient CapsuleSlots.Request slot;
        private transient volatile boolean detached;

        Execution(CapsuleOptions options, String credentialsId, StepContext context) {
            super(context);
            this.options = options;
            this.credentialsId = credentialsId;
            this.recordId = CapsuleOwnership.newRecordId();
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
            long epoch = EPOCH.get();
            if (options.existing()) {
                LIFECYCLE.submit(() -> prepare(epoch));
                return false;
            }
            CapsuleSlots.Request ask = CapsuleOwnership.SLOTS.request(recordId);
            synchronized (this) {
                slot = ask;
            }
            if (ask.mustWait()) {
                getContext().get(TaskListener.class).getLogger().println(ask.waitLine());
            }
            // No thread waits: the preparation is submitted once the slot is granted.
            ask.granted().whenComplete((granted, cancelled) -> {
                if (cancelled == null) {
                    LIFECYCLE.submit(() -> prepare(epoch));
                } else {
                    PREPARING.remove(this);
                    if (!detached) {
                        getContext().onFailure(stopCauseOr(cancelled));
                    }
                }
            });
            return false;
        }

        private void prepare(long epoch) {
            StepContext context = getContext();
            synchronized (this) {
                if (stopCause != null) {
                    PREPARING.remove(this);
                    CapsuleOwnership.SLOTS.release(recordId);
                    context.onFailure(stopCause);
                    return;
                }
                worker = Thread.currentThread();
            }
            boolean bodyStarted = false;
            try {
                CapsuleLease acquired;
                Run<?, ?> run = context.get(Run.class);
                try (WrennConnection connection = WrennConnection.forBuild(credentialsId, run)) {
                    acquired = connection
                            .lifecycle()
                            .acquire(
                                    options,
                                    CapsuleOwnership.records(run, credentialsId, recordId),
                                    context.get(TaskListener.class).getLogger(),
                                    known -> {
                                        lease = known;
                                        // Saved before the wait: a restart during it still finds the capsule to give
                                        // back.
                                        context.saveState();
                                    });
                }
                lease = acquired;
                if (detached || EPOCH.get() != epoch) {
                    return;
                }
                Throwable stoppedBy;
                synchronized (this) {
                    stoppedBy = stopCause;
                    if (stoppedBy == null) {
                        worker = null;
                        body = context.newBodyInvoker()
                                .withContexts(
                                        new WrennCapsuleContext(acquired.capsuleId(), credentialsId),
                                        EnvironmentExpander.merge(
                                                context.get(EnvironmentExpander.class),
                                                EnvironmentExpander.constant(
                                                        Map.of(ENV_CAPSULE, acquired.capsuleId()))))
                                .withCallback(new GiveBack(this))
                                .start();
                        bodyStarted = true;
                        return;
                    }
                }
                // Stopped just as the capsule became ready; the stop's interrupt must not cut the clean-up.
                Thread.interrupted();
                release(context, acquired, credentialsId, recordId, true, epoch);
                context.onFailure(stoppedBy);
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
                if (!bodyStarted && !detached) {
                    CapsuleOwnership.SLOTS.release(recordId);
                }
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
         * log shows the clean-up before the build ends; a wait for a capsule slot is left at once.
         */
        @Override
        public void stop(Throwable cause) throws Exception {
            BodyExecution running;
            Thread preparing;
            boolean pending;
            CapsuleSlots.Request waiting;
            synchronized (this) {
                if (stopCause == null) {
                    stopCause = cause;
                }
                running = body;
                preparing = worker;
                pending = submitted;
                waiting = slot;
            }
            if (running != null) {
                running.cancel(cause);
            } else if (preparing != null) {
                preparing.interrupt();
            } else if (waiting != null && waiting.mustWait()) {
                // Ends the step through the wait's own completion.
                waiting.cancel();
            } else if (!pending) {
                // After a restart: no preparation is left to end the step.
                getContext().onFailure(cause);
            }
        }

        /**
         * After a controller restart: a give-back the restart cut off is redone and the step ends as
         * the body ended; a body that had started resumes by itself (its capsule still holds its
         * slot), and its callback gives the capsule back when it ends. A restart while the capsule
         * was being prepared leaves no thread to finish that: give back what is known and fail the
         * step.
         */
        @Override
        public void onResume() {
            Ending ended = ending;
            if (ended != null) {
                giveBackAndEnd(getContext(), ended);
                return;
            }
            if (body != null) {
                CapsuleLease held = lease;
                if (held != null && held.created()) {
                    CapsuleOwnership.SLOTS.occupy(recordId);
                }
                return;
            }
            StepContext context = getContext();
            CapsuleLease known = lease;
            synchronized (this) {
                // A stop from now on leaves ending the step to this task, so it ends once.
                submitted = true;
            }
            long epoch = EPOCH.get();
            LIFECYCLE.submit(() -> {
                try {
                    if (known != null) {
                        release(context, known, credentialsId, recordId, true, epoch);
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

        /**
         * The body ended: saves how, then gives the capsule back on the lifecycle thread and ends
         * the step as the body ended. A capsule that could not be given back fails a body that
         * succeeded; after a failed body, the body's failure stays the step's and the log says
         * what was left.
         */
        void bodyEnded(StepContext context, Ending ended) {
            ending = ended;
            context.saveState();
            giveBackAndEnd(context, ended);
        }

        private void giveBackAndEnd(StepContext context, Ending ended) {
            long epoch = EPOCH.get();
            LIFECYCLE.submit(() -> {
                Throwable problem = null;
                try {
                    release(context, lease, credentialsId, recordId, ended.failed(), epoch);
                } catch (CapsuleFailure e) {
                    problem = e;
                } catch (Exception e) {
                    problem = e;
                }
                if (EPOCH.get() != epoch) {
                    // Jenkins shut down meanwhile: the resumed step gives the capsule back again.
                    return;
                }
                if (ended.failed()) {
                    if (problem instanceof CapsuleFailure) {
                        log(context, problem.getMessage());
                    } else if (problem != null) {
                        ended.failure.addSuppressed(problem);
                    }
                    context.onFailure(ended.failure);
                } else if (problem instanceof CapsuleFailure) {
                    context.onFailure(new AbortException(problem.getMessage()));
                } else if (problem != null) {
                    context.onFailure(problem);
                } else {
                    context.onSuccess(ended.result);
                }
            });
        }
    }

    /** Tells the step how the body ended; the step gives the capsule back. */
    static final class GiveBack extends BodyExecutionCallback {

        private static final long serialVersionUID = 1L;

        private final Execution execution;

        GiveBack(Execution execution) {
            this.execution = execution;
        }

        @Override
        public void onSuccess(StepContext context, Object result) {
            execution.bodyEnded(context, new Ending(result, null));
        }

        @Override
        public void onFailure(StepContext context, Throwable t) {
            execution.bodyEnded(context, new Ending(null, t));
        }
    }

    /**
     * Gives a capsule back as its lease says, records what it cost on the build, and frees its
     * capsule slot. Safe to call again after a restart in the middle of it.
     *
     * @param failed whether the block failed (a capsule kept on failure is then kept)
     * @param epoch the {@link #EPOCH} the caller acts for
     */
    static void release(
            StepContext context, CapsuleLease lease, String credentialsId, String recordId, boolean failed, long epoch)
            throws Exception {
        TaskListener listener = context.get(TaskListener.class);
        Run<?, ?> run = context.get(Run.class);
        try (WrennConnection connection = WrennConnection.forBuild(credentialsId, run)) {
            CapsuleRecords records =
                    lease.created() ? CapsuleOwnership.records(run, credentialsId, recordId) : CapsuleRecords.NONE;
            Released released = connection.lifecycle().release(lease, failed, records, listener.getLogger());
            if (EPOCH.get() != epoch) {
                // This build object belongs to a Jenkins that is gone; the resumed step records it.
                return;
            }
            if (released.gone()) {
                processesGone(run, lease.capsuleId());
            }
            BuildCapsulesAction.record(run, released);
        } finally {
            CapsuleOwnership.SLOTS.release(recordId);
        }
    }

    private static void log(StepContext context, String text) {
        try {
            context.get(TaskListener.class).getLogger().println(text);
        } catch (Exception e) {
            // No log to write to: the build is gone.
        }
    }

    /**
     * Background processes the build started in a capsule it has destroyed went with the capsule:
     * the build-end clean-up must not try to stop them.
     */
    @Restricted(NoExternalUse.class)
    public static void processesGone(Run<?, ?> run, String capsuleId) {
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

    /** Arguments with a boolean {@code keep} turned into its word; the others as they are. */
    @Restricted(NoExternalUse.class)
    public static Map<String, Object> keepAsWord(Map<String, Object> arguments) {
        Object keep = arguments.get("keep");
        if (!(keep instanceof Boolean b)) {
            return arguments;
        }
        Map<String, Object> copy = new HashMap<>(arguments);
        copy.put("keep", (b ? KeepPolicy.ALWAYS : KeepPolicy.NEVER).token());
        return copy;
    }

    /** The step's name, its block, and the Snippet Generator's form. */
    @Extension
    public static class DescriptorImpl extends StepDescriptor implements CustomDescribableModel {

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

        /** {@code keep} was a boolean: {@code keep: true} still means {@code keep: 'always'}. */
        @Override
        public Map<String, Object> customInstantiate(Map<String, Object> arguments) {
            return keepAsWord(arguments);
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
