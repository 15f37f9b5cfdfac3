package hudson.slaves;

import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.ExtensionPoint;
import hudson.model.Label;
import hudson.model.LoadStatistics;
import hudson.model.Node;
import java.util.Collection;
import java.util.concurrent.Future;

public class NodeProvisioner {
    private NodeProvisioner() {}

    public native void suggestReviewNow();

    public static class PlannedNode {
        public PlannedNode(String displayName, Future<Node> future, int numExecutors) {
            throw new UnsupportedOperationException("declaration only");
        }
    }

    public enum StrategyDecision {
        PROVISIONING_COMPLETED,
        CONSULT_REMAINING_STRATEGIES
    }

    public abstract static class Strategy implements ExtensionPoint {
        public abstract StrategyDecision apply(@NonNull StrategyState state);
    }

    public final class StrategyState {
        private StrategyState() {}

        public native Label getLabel();

        public native LoadStatistics.LoadStatisticsSnapshot getSnapshot();

        public native int getPlannedCapacitySnapshot();

        public synchronized native int getAdditionalPlannedCapacity();

        public native void recordPendingLaunches(Collection<PlannedNode> plannedNodes);
    }
}
