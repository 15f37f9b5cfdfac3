package io.jenkins.plugins.wrenn.cloud;

import hudson.Extension;
import hudson.model.Result;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.model.listeners.RunListener;
import io.jenkins.plugins.wrenn.CapsuleOwnership;
import io.jenkins.plugins.wrenn.capsules.BuildCapsulesAction;
import io.jenkins.plugins.wrenn.config.WrennCapsulesConfiguration;
import io.jenkins.plugins.wrenn.ownership.CapsuleSweeper;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Decides, once a build's result is known, on the agent capsules it kept with <i>when the build
 * failed</i> before that result was known (a Pipeline that goes on after its {@code node} block):
 * destroyed when the build succeeded, kept for the whole retention from now otherwise.
 */
@Extension
public class KeptUntilResult extends RunListener<Run<?, ?>> {

    private static final Logger LOGGER = Logger.getLogger(KeptUntilResult.class.getName());

    @Override
    public void onCompleted(Run<?, ?> run, TaskListener listener) {
        for (String capsuleId : BuildCapsulesAction.resultIsKnown(run)) {
            try {
                decide(run, capsuleId, listener);
            } catch (RuntimeException e) {
                // The others are still decided on; this one stays kept until its retention is over.
                LOGGER.log(Level.WARNING, "Could not decide on capsule " + capsuleId + " kept by " + run, e);
            }
        }
    }

    /**
     * Destroys the capsule if the build succeeded, or keeps it for the retention from now; says so
     * in the listener's log and in the system log (a give-back's listener is the agent's log, which
     * goes with the agent).
     */
    static void decide(Run<?, ?> run, String capsuleId, TaskListener listener) {
        Result result = run.getResult();
        String line;
        if (result == null || result.isWorseThan(Result.SUCCESS)) {
            Instant until = Instant.now()
                    .plus(WrennCapsulesConfiguration.get().keptRetention())
                    .truncatedTo(ChronoUnit.SECONDS);
            if (CapsuleOwnership.ledger().keepUntil(capsuleId, until)) {
                BuildCapsulesAction.keptUntil(run, capsuleId, until);
                line = Messages.KeptUntilResult_Kept(capsuleId, String.valueOf(result), until.toString());
            } else {
                BuildCapsulesAction.destroyed(run, capsuleId);
                line = Messages.KeptUntilResult_NoLongerKept(capsuleId, String.valueOf(result));
            }
        } else {
            line = destroy(run, capsuleId);
        }
        listener.getLogger().println(line);
        LOGGER.log(Level.INFO, "{0}: {1}", new Object[] {run, line});
    }

    private static String destroy(Run<?, ?> run, String capsuleId) {
        try {
            CapsuleSweeper.Action done = CapsuleOwnership.sweeper()
                    .destroyBecause(capsuleId, Messages.KeptUntilResult_Why(), CapsuleOwnership.defaultGroups());
            // Gone, destroyed, or left to the next sweep: no longer kept in any case.
            BuildCapsulesAction.destroyed(run, capsuleId);
            if (done == null) {
                return Messages.KeptUntilResult_NotFound(capsuleId);
            }
            return done.kind() == CapsuleSweeper.Kind.DESTROYED
                    ? Messages.KeptUntilResult_Destroyed(capsuleId)
                    : Messages.KeptUntilResult_SweepRetries(capsuleId);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Messages.KeptUntilResult_NotDestroyed(capsuleId, e.toString());
        } catch (RuntimeException e) {
            LOGGER.log(Level.WARNING, "Could not destroy capsule " + capsuleId + " of " + run, e);
            return Messages.KeptUntilResult_NotDestroyed(capsuleId, e.toString());
        }
    }
}
