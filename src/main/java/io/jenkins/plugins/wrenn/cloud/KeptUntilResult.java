package io.jenkins.plugins.wrenn.cloud;

import hudson.Extension;
import hudson.model.Result;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.model.listeners.RunListener;
import io.jenkins.plugins.wrenn.CapsuleOwnership;
import io.jenkins.plugins.wrenn.capsules.BuildCapsulesAction;
import io.jenkins.plugins.wrenn.ownership.CapsuleSweeper;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Decides, once a build's result is known, on the agent capsules it kept with <i>when the build
 * failed</i> before that result was known (a Pipeline whose {@code node} block ended before its
 * last step): destroyed when the build succeeded, left kept otherwise.
 */
@Extension
public class KeptUntilResult extends RunListener<Run<?, ?>> {

    private static final Logger LOGGER = Logger.getLogger(KeptUntilResult.class.getName());

    @Override
    public void onCompleted(Run<?, ?> run, TaskListener listener) {
        settle(run, listener);
    }

    /** Decides on the capsules that still wait for this build's result; each is decided on once. */
    static void settle(Run<?, ?> run, TaskListener listener) {
        Result result = run.getResult();
        for (String capsuleId : BuildCapsulesAction.takeUntilResult(run)) {
            if (result == null || result.isWorseThan(Result.SUCCESS)) {
                listener.getLogger().println(Messages.KeptUntilResult_Kept(capsuleId, String.valueOf(result)));
            } else {
                destroy(run, capsuleId, listener);
            }
        }
    }

    private static void destroy(Run<?, ?> run, String capsuleId, TaskListener listener) {
        try {
            CapsuleSweeper.Action done = CapsuleOwnership.sweeper()
                    .destroyBecause(capsuleId, Messages.KeptUntilResult_Why(), CapsuleOwnership.defaultGroups());
            if (done == null) {
                listener.getLogger().println(Messages.KeptUntilResult_NotFound(capsuleId));
            } else if (done.kind() == CapsuleSweeper.Kind.DESTROYED) {
                BuildCapsulesAction.destroyed(run, capsuleId);
                listener.getLogger().println(Messages.KeptUntilResult_Destroyed(capsuleId));
            } else {
                listener.getLogger().println(Messages.KeptUntilResult_NotDestroyed(capsuleId, done.what()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            listener.getLogger().println(Messages.KeptUntilResult_NotDestroyed(capsuleId, String.valueOf(e)));
        } catch (RuntimeException e) {
            LOGGER.log(Level.WARNING, "Could not destroy capsule " + capsuleId + " of " + run, e);
            listener.getLogger().println(Messages.KeptUntilResult_NotDestroyed(capsuleId, String.valueOf(e)));
        }
    }
}
