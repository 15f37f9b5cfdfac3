package io.jenkins.plugins.wrenn.steps;

import hudson.AbortException;
import hudson.Extension;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.model.listeners.RunListener;
import io.jenkins.plugins.wrenn.WrennConnection;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * At the end of every build, whatever its result, stops the background processes it started and
 * did not stop itself ({@code keepAlive: true} opts out), and says so in the log.
 */
@Extension
public class BackgroundProcessCleanup extends RunListener<Run<?, ?>> {

    private static final Logger LOGGER = Logger.getLogger(BackgroundProcessCleanup.class.getName());

    @Override
    public void onCompleted(Run<?, ?> run, TaskListener listener) {
        BackgroundProcessesAction action = run.getAction(BackgroundProcessesAction.class);
        if (action == null) {
            return;
        }
        for (BackgroundProcessesAction.Entry e : action.leftOver()) {
            String pid = Long.toString(e.getPid());
            listener.getLogger().println(Messages.BackgroundProcessCleanup_Stopping(pid, e.getTag(), e.getCapsule()));
            try {
                try (WrennConnection connection = WrennConnection.forBuild(e.getCredentialsId(), run)) {
                    connection.backgroundProcesses().stop(e.getCapsule(), e.getPid(), listener.getLogger());
                }
                action.stopped(e.getCapsule(), pid);
            } catch (AbortException x) {
                // The credentials are gone or unusable: the build log says which, nothing more to tell.
                listener.getLogger()
                        .println(Messages.BackgroundProcessCleanup_Failed(pid, e.getCapsule(), x.getMessage()));
            } catch (RuntimeException x) {
                listener.getLogger()
                        .println(Messages.BackgroundProcessCleanup_Failed(pid, e.getCapsule(), x.getMessage()));
                LOGGER.log(
                        Level.WARNING,
                        "Could not stop background process " + pid + " in capsule " + e.getCapsule() + " left by "
                                + run,
                        x);
            }
        }
    }
}
