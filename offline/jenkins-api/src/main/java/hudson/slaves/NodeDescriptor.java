package hudson.slaves;

import hudson.model.Descriptor;
import hudson.model.Node;

public abstract class NodeDescriptor extends Descriptor<Node> {
    protected NodeDescriptor() {}

    public native boolean isInstantiable();
}
