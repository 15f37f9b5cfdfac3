package io.jenkins.plugins.wrenn.capsules;

import hudson.Extension;
import hudson.model.AsyncPeriodicWork;
import hudson.model.TaskListener;
import io.jenkins.plugins.wrenn.CapsuleOwnership;
import io.jenkins.plugins.wrenn.ownership.CapsuleSweeper;
import java.util.List;

/**
 * Gives back the capsules this Jenkins created whose build is over: shortly after Jenkins starts
 * (what a crash or a restart left), then every ten minutes. Each action goes to the system log;
 * the task's own log is {@code logs/tasks/Wrenn capsule sweep.log}.
 */
@Extension
public class CapsuleSweepWork extends AsyncPeriodicWork {

    public CapsuleSweepWork() {
        super("Wrenn capsule sweep");
    }

    @Override
    public long getRecurrencePeriod() {
        return 10 * MIN;
    }

    /** Soon after start-up rather than at a random time in the first period: a restart may have left capsules. */
    @Override
    public long getInitialDelay() {
        return 15_000;
    }

    @Override
    protected void execute(TaskListener listener) throws InterruptedException {
        List<CapsuleSweeper.Action> actions = CapsuleOwnership.sweeper().sweep(CapsuleOwnership.defaultGroups());
        actions.forEach(a -> listener.getLogger().println(a.what()));
    }
}
