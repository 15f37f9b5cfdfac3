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

    /**
     * Core tells a computer that a task was accepted, never that it started: since JENKINS-66947
     * {@code WorkUnitContext.synchronizeStart} sends {@code taskStarted} only to {@code
     * ExecutorListener} extensions. The executable is already set when this is called.
     */
    @Override
    public void taskAccepted(Executor executor, Queue.Task task) {
        Queue.Executable executable = executor.getCurrentExecutable();
        // A Pipeline's node block runs as a placeholder whose parent is the build.
        Queue.Executable build = executable instanceof Run<?, ?>
                ? executable
                : executable == null ? null : executable.getParentExecutable();
        WrennAgent agent = getNode();
        if (agent != null && build instanceof Run<?, ?> run) {
            agent.buildStarted(run);
        }
        super.taskAccepted(executor, task);
    }
}
