package io.jenkins.plugins.wrenn.cloud;

import hudson.Extension;
import hudson.model.AsyncPeriodicWork;
import hudson.model.Node;
import hudson.model.TaskListener;
import hudson.slaves.OfflineCause;
import io.jenkins.plugins.wrenn.CapsuleOwnership;
import io.jenkins.plugins.wrenn.api.Capsule;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;
import jenkins.model.Jenkins;

/**
 * Looks after the Wrenn agents every minute, and a few seconds after Jenkins starts: an agent
 * whose capsule is gone (destroyed outside Jenkins, or lost with its host) is removed, so that its
 * build is not left waiting for it; a paused capsule is resumed, so that its agent can connect
 * again after a controller restart; a running one is marked active, so that the server's idle
 * timeout does not pause it under a build (servers up to v0.1.5 count only commands as activity);
 * an agent that stays offline with a running capsule for {@link #OFFLINE_LIMIT} is removed and its
 * capsule given back. Every agent's capsule holds its capsule slot again after a restart.
 */
@Extension
public class WrennAgentWatch extends AsyncPeriodicWork {

    private static final Logger LOGGER = Logger.getLogger(WrennAgentWatch.class.getName());

    /** Inbound agents reconnect within seconds; one offline this long will not. */
    static final Duration OFFLINE_LIMIT = Duration.ofMinutes(10);

    /** How long a removal waits for the agent's connection to close. */
    private static final Duration DISCONNECT_WAIT = Duration.ofSeconds(10);

    private final Map<String, Instant> offlineSince = new ConcurrentHashMap<>();

    public WrennAgentWatch() {
        super("Wrenn agents");
    }

    @Override
    public long getRecurrencePeriod() {
        return MIN;
    }

    @Override
    public long getInitialDelay() {
        return 2_000;
    }

    @Override
    protected void execute(TaskListener listener) throws InterruptedException {
        for (Node node : Jenkins.get().getNodes()) {
            if (node instanceof WrennAgent agent) {
                look(agent, listener);
            }
        }
    }

    private void look(WrennAgent agent, TaskListener listener) throws InterruptedException {
        String capsuleId = agent.getCapsuleId();
        if (capsuleId == null || agent.isGivingBack()) {
            return;
        }
        CapsuleOwnership.SLOTS.occupy(agent.recordId());
        WrennCloud cloud = agent.cloud();
        if (cloud == null) {
            return;
        }
        try (WrennClient client = cloud.newClient()) {
            Capsule capsule;
            try {
                capsule = client.capsules().get(capsuleId);
            } catch (WrennApiException e) {
                if (e.kind() == WrennApiException.Kind.NOT_FOUND && !agent.isGivingBack()) {
                    remove(agent, Messages.WrennAgentWatch_CapsuleGone(agent.getNodeName(), capsuleId), listener);
                }
                return;
            }
            if (agent.isGivingBack()) {
                // Its give-back began while the capsule was read: that decides on the capsule now.
                return;
            }
            if (capsule.isTerminal()) {
                remove(
                        agent,
                        Messages.WrennAgentWatch_CapsuleEnded(agent.getNodeName(), capsuleId, capsule.status()),
                        listener);
                return;
            }
            if (capsule.isPaused()) {
                client.capsules().resume(capsuleId);
                listener.getLogger().println(Messages.WrennAgentWatch_Resumed(agent.getNodeName(), capsuleId));
                return;
            }
            if (capsule.isRunning()) {
                client.capsules().ping(capsuleId);
            }
            WrennAgentComputer computer = agent.computer();
            if (computer != null && computer.isOnline()) {
                offlineSince.remove(agent.getNodeName());
            } else {
                Instant since = offlineSince.computeIfAbsent(agent.getNodeName(), n -> Instant.now());
                if (Duration.between(since, Instant.now()).compareTo(OFFLINE_LIMIT) > 0) {
                    remove(
                            agent,
                            Messages.WrennAgentWatch_Offline(
                                    agent.getNodeName(), Long.toString(OFFLINE_LIMIT.toMinutes()), capsuleId),
                            listener);
                }
            }
        } catch (IOException e) {
            listener.error(Messages.WrennAgentWatch_Unreachable(agent.getNodeName(), String.valueOf(e.getMessage())));
        }
    }

    /**
     * Closes the agent's connection before the agent is removed: a removed cloud agent's {@code
     * node} block is cancelled at once (and retried by Declarative's {@code retries}) only if its
     * computer is offline by then, and the connection to a capsule lost with its host can look open
     * for minutes.
     */
    private static void disconnect(WrennAgent agent, String why) throws InterruptedException {
        WrennAgentComputer computer = agent.computer();
        if (computer == null) {
            return;
        }
        try {
            computer.disconnect(new OfflineCause.ChannelTermination(new IOException(why)))
                    .get(DISCONNECT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOGGER.log(Level.FINE, "Disconnecting " + agent.getNodeName(), e);
        }
    }

    private void remove(WrennAgent agent, String why, TaskListener listener) throws InterruptedException {
        offlineSince.remove(agent.getNodeName());
        listener.getLogger().println(why);
        LOGGER.info(why);
        disconnect(agent, why);
        try {
            agent.terminate();
        } catch (IOException e) {
            listener.error(Messages.WrennAgentWatch_NotRemoved(agent.getNodeName(), String.valueOf(e.getMessage())));
        }
    }
}
