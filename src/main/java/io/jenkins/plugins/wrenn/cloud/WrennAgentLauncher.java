package io.jenkins.plugins.wrenn.cloud;

import hudson.model.Descriptor;
import hudson.model.TaskListener;
import hudson.slaves.ComputerLauncher;
import hudson.slaves.JNLPLauncher;
import hudson.slaves.SlaveComputer;
import io.jenkins.plugins.wrenn.CapsuleOwnership;
import io.jenkins.plugins.wrenn.agents.AgentLaunchFailure;
import io.jenkins.plugins.wrenn.agents.AgentProvisioning;
import io.jenkins.plugins.wrenn.agents.AgentSpec;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLease;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLifecycle;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;
import jenkins.model.Jenkins;

/**
 * Launches a {@link WrennAgent} as an inbound WebSocket agent: creates its capsule, puts the
 * controller's agent.jar and the agent's secret into it and starts the agent there (see
 * {@link AgentProvisioning}). The controller starts nothing itself afterwards: after a restart the
 * agent in a capsule that still runs connects again on its own, as every inbound agent does.
 * A launch that fails gives the capsule back, says why in the agent's log, and removes the agent.
 */
public final class WrennAgentLauncher extends JNLPLauncher {

    private static final Logger LOGGER = Logger.getLogger(WrennAgentLauncher.class.getName());

    /** Whether the launch ran to its end; saved with the node, so that a restart does not launch again. */
    private boolean launched;

    public WrennAgentLauncher() {
        super();
        setWebSocket(true);
    }

    @Override
    public boolean isLaunchSupported() {
        return !launched;
    }

    @Override
    public void launch(SlaveComputer computer, TaskListener listener) {
        if (!(computer instanceof WrennAgentComputer c) || c.getNode() == null) {
            listener.error(Messages.WrennAgentLauncher_NoAgent(computer.getName()));
            return;
        }
        WrennAgent agent = c.getNode();
        if (launched || agent.lease() != null) {
            // A launch already made its capsule: its agent connects by itself.
            launched = true;
            return;
        }
        WrennCloud cloud = agent.cloud();
        WrennAgentTemplate template = agent.template();
        PrintStream log = new PrintStream(new LaunchLog(listener.getLogger(), agent), true, StandardCharsets.UTF_8);
        try {
            if (cloud == null) {
                throw new IOException(Messages.WrennAgentLauncher_CloudGone(agent.getCloudName()));
            }
            String url = cloud.effectiveJenkinsUrl();
            if (url == null) {
                throw new IOException(Messages.WrennCloud_NoJenkinsUrl());
            }
            AgentSpec spec = new AgentSpec(
                    agent.getNodeName(),
                    url,
                    template.effectiveRemoteRoot(),
                    Duration.ofSeconds(template.getConnectTimeout()),
                    template.getJavaCommand(),
                    AgentSpec.JAVA_FOR_JENKINS);
            CapsuleOptions options = new CapsuleOptions(
                    template.getTemplate(),
                    template.getVcpus(),
                    template.getMemoryMb(),
                    0,
                    0,
                    template.keepPolicy(),
                    null,
                    false,
                    false);
            try (WrennClient client = cloud.newClient()) {
                CapsuleLease lease = new AgentProvisioning(
                                client, CapsuleLifecycle.withDefaults(client, cloud.effectiveCredentialsId()))
                        .provision(
                                options,
                                CapsuleOwnership.agentRecords(agent.getNodeName(), cloud.group(), agent.recordId()),
                                spec,
                                () -> Jenkins.get()
                                        .getJnlpJars("agent.jar")
                                        .getURL()
                                        .openStream(),
                                computer.getJnlpMac(),
                                computer::isOnline,
                                log,
                                agent::setLease);
                launched = true;
                agent.setLease(lease);
                cloud.launchSucceeded(template);
            }
        } catch (AgentLaunchFailure e) {
            listener.error(e.getMessage());
            LOGGER.log(Level.WARNING, "Launch of Wrenn agent {0} failed: {1}", new Object[] {
                agent.getNodeName(), e.getMessage()
            });
            if (cloud != null) {
                cloud.launchFailed(template, e);
            }
            remove(agent);
        } catch (IOException e) {
            listener.error(e.getMessage());
            remove(agent);
        } catch (InterruptedException e) {
            // The capsule was given back before the interrupt reached here.
            Thread.currentThread().interrupt();
            remove(agent);
        }
    }

    /**
     * Removes the agent whose launch failed. Its capsule is given back already (or left to the
     * sweep when that failed), so the agent forgets it: removing it must not give it back twice.
     */
    private static void remove(WrennAgent agent) {
        agent.setLease(null);
        try {
            agent.terminate();
        } catch (IOException | InterruptedException e) {
            LOGGER.log(Level.WARNING, "Could not remove Wrenn agent " + agent.getNodeName(), e);
        }
    }

    @Override
    public Descriptor<ComputerLauncher> getDescriptor() {
        return new DescriptorImpl();
    }

    /** Never chosen in a form: the cloud makes these launchers. Not an extension, so no form offers it. */
    private static final class DescriptorImpl extends Descriptor<ComputerLauncher> {}

    /** The launch's lines go to the agent's log and are kept for the build's log. */
    private static final class LaunchLog extends OutputStream {
        private final PrintStream out;
        private final WrennAgent agent;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        LaunchLog(PrintStream out, WrennAgent agent) {
            this.out = out;
            this.agent = agent;
        }

        @Override
        public void write(int b) {
            out.write(b);
            if (b == '\n') {
                agent.launchLine(line.toString(StandardCharsets.UTF_8));
                line.reset();
            } else {
                line.write(b);
            }
        }

        @Override
        public void flush() {
            out.flush();
        }
    }
}
