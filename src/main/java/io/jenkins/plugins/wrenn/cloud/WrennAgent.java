package io.jenkins.plugins.wrenn.cloud;

import hudson.Extension;
import hudson.Launcher;
import hudson.model.Descriptor;
import hudson.model.Node;
import hudson.model.Result;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.slaves.AbstractCloudSlave;
import hudson.slaves.Cloud;
import hudson.slaves.SlaveComputer;
import io.jenkins.plugins.wrenn.CapsuleOwnership;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.capsules.BuildCapsulesAction;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleFailure;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLease;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLifecycle;
import io.jenkins.plugins.wrenn.lifecycle.KeepPolicy;
import io.jenkins.plugins.wrenn.lifecycle.Released;
import io.jenkins.plugins.wrenn.ownership.LedgerRecords;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import jenkins.model.Jenkins;
import org.jenkinsci.plugins.durabletask.executors.OnceRetentionStrategy;
import org.kohsuke.accmod.Restricted;
import org.kohsuke.accmod.restrictions.NoExternalUse;

/**
 * An agent in a Wrenn capsule, for one build. Its launch creates the capsule and starts the
 * agent in it ({@link WrennAgentLauncher}); when its build is done the retention strategy removes
 * it, and {@link #_terminate} gives the capsule back through the lifecycle: destroyed, or kept
 * paused when the template says so (with <i>when the build failed</i> and a Pipeline still running,
 * until its result is known: {@link KeptUntilResult}).
 */
public class WrennAgent extends AbstractCloudSlave {

    private static final long serialVersionUID = 1L;

    private static final Logger LOGGER = Logger.getLogger(WrennAgent.class.getName());

    /** The labels of {@code jenkins.job} on an agent's capsule begin with this: no job name can (":" is not allowed). */
    @Restricted(NoExternalUse.class)
    public static final String AGENT_JOB_PREFIX = "agent:";

    private final String cloudName;
    /** The template as it was when the agent was made: a restart or a changed cloud does not change it. */
    private final WrennAgentTemplate template;
    /** The ledger record of its capsule, and the key of its capsule slot. */
    private final String recordId;

    /** The capsule, once its create answered; saved with the node, so that a restart still knows it. */
    private volatile CapsuleLease lease;
    /** The build that ran on it, as {@link Run#getExternalizableId()}. */
    private volatile String buildId;
    /** The launch's own lines, replayed into the build's log once it runs here. */
    private List<String> launchLines = new ArrayList<>();

    private transient volatile boolean replayed;
    /** Set once its give-back began: the watch leaves it alone (it would resume a capsule being kept). */
    private transient volatile boolean givingBack;

    WrennAgent(String name, String cloudName, WrennAgentTemplate template, String recordId)
            throws Descriptor.FormException, IOException {
        super(name, template.effectiveRemoteRoot(), new WrennAgentLauncher());
        this.cloudName = cloudName;
        this.template = template;
        this.recordId = recordId;
        setNodeDescription(Messages.WrennAgent_Description(cloudName, String.valueOf(template.getTemplate())));
        setNumExecutors(1);
        // Only builds that ask for its labels: a capsule is made for them, not for any build.
        setMode(Node.Mode.EXCLUSIVE);
        setLabelString(template.getLabels());
        setRetentionStrategy(new OnceRetentionStrategy(template.getIdleMinutes()));
    }

    public String getCloudName() {
        return cloudName;
    }

    WrennAgentTemplate template() {
        return template;
    }

    String recordId() {
        return recordId;
    }

    CapsuleLease lease() {
        return lease;
    }

    /** The capsule this agent runs in, or null before its create answered. */
    public String getCapsuleId() {
        CapsuleLease l = lease;
        return l == null ? null : l.capsuleId();
    }

    void setLease(CapsuleLease lease) {
        this.lease = lease;
        saveQuietly();
    }

    /** Whether its capsule is being given back, or was. */
    boolean isGivingBack() {
        return givingBack;
    }

    /** The cloud that made this agent, or null when an administrator removed it since. */
    WrennCloud cloud() {
        Cloud c = Jenkins.get().getCloud(cloudName);
        return c instanceof WrennCloud w ? w : null;
    }

    /** Remembers a launch line for the build's log. */
    synchronized void launchLine(String line) {
        if (launchLines == null) {
            launchLines = new ArrayList<>();
        }
        launchLines.add(line);
    }

    private synchronized List<String> launchLines() {
        return launchLines == null ? List.of() : List.copyOf(launchLines);
    }

    /** The build that runs here, as it starts. */
    void buildStarted(Run<?, ?> run) {
        if (buildId == null) {
            buildId = run.getExternalizableId();
            saveQuietly();
        }
    }

    private Run<?, ?> build() {
        String id = buildId;
        try {
            return id == null ? null : Run.fromExternalizableId(id);
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public WrennAgentComputer createComputer() {
        return new WrennAgentComputer(this);
    }

    /**
     * The build's launcher; the first time, also tells the build's log which capsule it runs in
     * and how its launch went, with times (while a build waits for the agent nothing is written to
     * its log, so it is said here once it runs).
     */
    @Override
    public Launcher createLauncher(TaskListener listener) {
        Launcher launcher = super.createLauncher(listener);
        if (!replayed) {
            replayed = true;
            listener.getLogger()
                    .println(Messages.WrennAgent_RunsIn(
                            getNodeName(), String.valueOf(getCapsuleId()), String.valueOf(template.getLabels())));
            launchLines().forEach(listener.getLogger()::println);
        }
        return launcher;
    }

    /**
     * Gives the capsule back through the lifecycle, records what it cost on the build that ran
     * here, and frees its capsule slot. A capsule whose create never answered, or whose cloud or
     * credentials are gone, is left to the capsule sweep, which finds it by its record.
     */
    @Override
    protected void _terminate(TaskListener listener) throws IOException, InterruptedException {
        givingBack = true;
        try {
            CapsuleLease held = lease;
            if (held == null) {
                return;
            }
            WrennCloud cloud = cloud();
            if (cloud == null) {
                listener.error(Messages.WrennAgent_CloudGone(cloudName, held.capsuleId()));
                return;
            }
            Run<?, ?> run = build();
            // Known first, then read: a result read before the build is known to have ended may still change.
            boolean known = run == null || BuildCapsulesAction.isResultKnown(run);
            Result result = run == null ? null : run.getResult();
            boolean failed = result != null && result.isWorseThan(Result.SUCCESS);
            // A Pipeline goes on after its node block: a result that may still turn bad is waited for.
            boolean untilResult = !known && !failed && held.keep() == KeepPolicy.ON_FAILURE;
            try (WrennClient client = cloud.newClient()) {
                CapsuleLifecycle lifecycle = CapsuleLifecycle.withDefaults(client, cloud.effectiveCredentialsId());
                LedgerRecords records = CapsuleOwnership.agentRecords(getNodeName(), cloud.group(), recordId);
                if (untilResult) {
                    Released released = lifecycle.keepUntilResult(held, records, listener.getLogger());
                    if (!BuildCapsulesAction.recordUntilResult(run, released)) {
                        // The build ended while the capsule was being paused: its end found nothing to decide on.
                        KeptUntilResult.decide(run, held.capsuleId(), listener);
                    }
                } else {
                    Released released = lifecycle.release(held, failed, records, listener.getLogger());
                    if (run != null) {
                        BuildCapsulesAction.record(run, released);
                    }
                }
            } catch (CapsuleFailure e) {
                listener.error(e.getMessage());
            } catch (IOException e) {
                listener.error(Messages.WrennAgent_NotGivenBack(held.capsuleId(), String.valueOf(e.getMessage())));
            }
        } finally {
            CapsuleOwnership.SLOTS.release(recordId);
        }
    }

    private void saveQuietly() {
        try {
            // A node not yet added (its launch has not begun) has nothing to save into.
            if (Jenkins.get().getNode(getNodeName()) == this) {
                save();
            }
        } catch (IOException e) {
            LOGGER.log(Level.WARNING, "Could not save agent " + getNodeName(), e);
        }
    }

    /** The computer of this agent, when it has one. */
    WrennAgentComputer computer() {
        SlaveComputer c = getComputer();
        return c instanceof WrennAgentComputer w ? w : null;
    }

    /** Not offered on the New node page: Wrenn agents are made by their cloud only. */
    @Extension
    public static final class DescriptorImpl extends SlaveDescriptor {

        @Override
        public String getDisplayName() {
            return Messages.WrennAgent_DisplayName();
        }

        @Override
        public boolean isInstantiable() {
            return false;
        }
    }
}
