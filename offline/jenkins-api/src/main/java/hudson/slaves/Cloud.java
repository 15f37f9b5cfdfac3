package hudson.slaves;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import hudson.ExtensionPoint;
import hudson.model.Actionable;
import hudson.model.Describable;
import hudson.model.Label;
import hudson.security.AccessControlled;
import java.util.Collection;

public abstract class Cloud extends Actionable implements ExtensionPoint, Describable<Cloud>, AccessControlled {
    public String name;

    protected Cloud(String name) {
        throw new UnsupportedOperationException("declaration only");
    }

    public native Collection<NodeProvisioner.PlannedNode> provision(CloudState state, int excessWorkload);

    public native boolean canProvision(CloudState state);

    public static final class CloudState {
        public CloudState(@CheckForNull Label label, int additionalPlannedCapacity) {
            throw new UnsupportedOperationException("declaration only");
        }

        @CheckForNull
        public native Label getLabel();
    }
}
