package io.jenkins.plugins.wrenn.cloud;

import hudson.Extension;
import hudson.model.Label;
import hudson.model.LoadStatistics;
import hudson.model.Queue;
import hudson.model.queue.QueueListener;
import hudson.slaves.Cloud;
import hudson.slaves.NodeProvisioner;
import java.util.Collection;
import jenkins.model.Jenkins;

/**
 * Provisions Wrenn agents as soon as a build asks for one. Jenkins' own strategy waits until the
 * queue has stayed long for a while (tens of seconds), which suits machines that take minutes to
 * boot; a capsule starts in about a second, so waiting would be most of the time to an agent. As
 * the Kubernetes plugin does for pods: when the queue asks for more executors of a label than are
 * there or planned, a Wrenn cloud that can serve the label is asked at once.
 */
@Extension(ordinal = 100)
public class WrennProvisioning extends NodeProvisioner.Strategy {

    @Override
    public NodeProvisioner.StrategyDecision apply(NodeProvisioner.StrategyState state) {
        Label label = state.getLabel();
        LoadStatistics.LoadStatisticsSnapshot snapshot = state.getSnapshot();
        int available = snapshot.getAvailableExecutors()
                + snapshot.getConnectingExecutors()
                + state.getPlannedCapacitySnapshot()
                + state.getAdditionalPlannedCapacity();
        int demand = snapshot.getQueueLength();
        if (available < demand) {
            Cloud.CloudState cloudState = new Cloud.CloudState(label, state.getAdditionalPlannedCapacity());
            for (Cloud cloud : Jenkins.get().clouds) {
                if (cloud instanceof WrennCloud && cloud.canProvision(cloudState)) {
                    Collection<NodeProvisioner.PlannedNode> planned = cloud.provision(cloudState, demand - available);
                    state.recordPendingLaunches(planned);
                    available += planned.size();
                    break;
                }
            }
        }
        return available >= demand
                ? NodeProvisioner.StrategyDecision.PROVISIONING_COMPLETED
                : NodeProvisioner.StrategyDecision.CONSULT_REMAINING_STRATEGIES;
    }

    /** Asks for a provisioning round as soon as a build that a Wrenn cloud can serve enters the queue. */
    @Extension
    public static class Prompt extends QueueListener {

        @Override
        public void onEnterBuildable(Queue.BuildableItem item) {
            Label label = item.getAssignedLabel();
            Jenkins jenkins = Jenkins.get();
            for (Cloud cloud : jenkins.clouds) {
                if (cloud instanceof WrennCloud && cloud.canProvision(new Cloud.CloudState(label, 0))) {
                    (label == null ? jenkins.unlabeledNodeProvisioner : label.nodeProvisioner).suggestReviewNow();
                    return;
                }
            }
        }
    }
}
