package io.jenkins.plugins.wrenn;

import hudson.AbortException;
import hudson.Extension;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.model.listeners.RunListener;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.exec.BackgroundProcesses;
import java.time.Duration;

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
                String apiKey = WrennCredentials.apiKey(e.getCredentialsId(), run);
                try (WrennClient client = WrennGlobalConfiguration.get().newClient(apiKey)) {
                    new BackgroundProcesses(client, apiKey, Duration.ofSeconds(5), StderrNote.MARKER)
                            .stop(e.getCapsule(), e.getPid(), listener.getLogger());
                }
                action.stopped(e.getCapsule(), Long.toString(e.getPid()));
            } catch (AbortException | RuntimeException x) {
                listener.getLogger()
                        .println(Messages.BackgroundProcessCleanup_Failed(Long.toString(e.getPid()), e.getCapsule(), x.getMessage()));
            }
        }
    }
}
