package io.jenkins.plugins.wrenn.agents;

import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleFailure;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLease;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLifecycle;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleOptions;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleRecords;
import java.io.PrintStream;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A capsule that becomes an agent: gets the capsule through the {@link CapsuleLifecycle} (the
 * same create, labels, records and wait as every capsule the plugin makes), starts the agent in it
 * with {@link AgentLaunch}, and waits until it is online. When anything fails, the capsule is
 * given back through the lifecycle before the failure is reported, so no failed launch leaves a
 * capsule behind.
 */
public final class AgentProvisioning {

    private final WrennClient client;
    private final CapsuleLifecycle lifecycle;

    public AgentProvisioning(WrennClient client, CapsuleLifecycle lifecycle) {
        this.client = client;
        this.lifecycle = lifecycle;
    }

    /**
     * Gets a fresh capsule and makes it the agent.
     *
     * @param known told of the capsule as soon as its create answers, before anything else, so
     *     that a caller cut off meanwhile (a controller restart) still knows what to give back
     * @param online whether Jenkins has the agent online
     * @return the capsule, running, with the agent online in it
     * @throws AgentLaunchFailure when the capsule could not be had, or the agent not started or
     *     connected; the capsule is given back first
     */
    public CapsuleLease provision(
            CapsuleOptions options,
            CapsuleRecords records,
            AgentSpec spec,
            AgentJar jar,
            String secret,
            BooleanSupplier online,
            PrintStream log,
            Consumer<CapsuleLease> known)
            throws AgentLaunchFailure, InterruptedException {
        long started = System.nanoTime();
        CapsuleLease lease;
        try {
            lease = lifecycle.acquire(options, records, log, known);
        } catch (CapsuleFailure e) {
            throw new AgentLaunchFailure(AgentLaunchFailure.Reason.NO_CAPSULE, e.getMessage(), e);
        }
        boolean connected = false;
        try {
            AgentLaunch launch = new AgentLaunch(client, log, started);
            StartedAgent agent = launch.start(lease.capsuleId(), spec, jar, secret);
            launch.awaitOnline(agent, spec, secret, online);
            connected = true;
            return lease;
        } finally {
            if (!connected) {
                giveBack(lease, records, log);
            }
        }
    }

    /**
     * Gives the capsule back as its lease says; a capsule kept on failure is destroyed here, as a
     * failed launch is not a failed build. Also on an abort: the interrupt is kept for the caller.
     */
    private void giveBack(CapsuleLease lease, CapsuleRecords records, PrintStream log) {
        boolean interrupted = Thread.interrupted();
        try {
            lifecycle.release(lease, false, records, log);
        } catch (CapsuleFailure e) {
            log.println(e.getMessage());
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
