package io.jenkins.plugins.wrenn;

import hudson.AbortException;
import hudson.Extension;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.model.listeners.RunListener;

/**
 * At the end of every build, whatever its result, stops the background processes it started and
 * did not stop itself ({@code keepAlive: true} opts out), and says so in the log.
 */
@Extension
public class BackgroundProcessCleanup extends RunListener<Run<?, ?>> {

    @Override
    public void onCompleted(Run<?, ?> run, TaskListener listener) {
        BackgroundProcessesAction action = run.getAction(BackgroundProcessesAction.class);
        if (action == null) {
            return;
        }
        for (BackgroundProcessesAction.Entry e : action.leftOver()) {
            listener.getLogger()
                    .println(Messages.BackgroundProcessCleanup_Stopping(Long.toString(e.getPid()), e.getTag(), e.getCapsule()));
            try {
                try (WrennConnection connection = WrennConnection.forBuild(e.getCredentialsId(), run)) {
                    connection.backgroundProcesses().stop(e.getCapsule(), e.getPid(), listener.getLogger());
                }
                action.stopped(e.getCapsule(), Long.toString(e.getPid()));
            } catch (AbortException | RuntimeException x) {
                listener.getLogger()
                        .println(Messages.BackgroundProcessCleanup_Failed(Long.toString(e.getPid()), e.getCapsule(), x.getMessage()));
            }
        }
    }
}
