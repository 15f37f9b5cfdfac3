package io.jenkins.plugins.wrenn.cloud;

import hudson.model.Executor;
import hudson.model.Queue;
import hudson.model.Run;
import hudson.slaves.AbstractCloudComputer;

/** The computer of a {@link WrennAgent}: remembers the build that runs on it, for its usage and keep policy. */
public class WrennAgentComputer extends AbstractCloudComputer<WrennAgent> {

    public WrennAgentComputer(WrennAgent agent) {
        super(agent);
    }

    @Override
    public void taskStarted(Executor executor, Queue.Task task) {
        Queue.Executable executable = executor.getCurrentExecutable();
        // A Pipeline's node block runs as a placeholder whose parent is the build.
        Queue.Executable build = executable instanceof Run<?, ?>
                ? executable
                : executable == null ? null : executable.getParentExecutable();
        WrennAgent agent = getNode();
        if (agent != null && build instanceof Run<?, ?> run) {
            agent.buildStarted(run);
        }
        super.taskStarted(executor, task);
    }
}
