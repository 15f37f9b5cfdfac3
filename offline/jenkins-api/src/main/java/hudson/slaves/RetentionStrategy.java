package hudson.slaves;

import hudson.ExtensionPoint;
import hudson.model.Computer;
import hudson.model.Describable;

public abstract class RetentionStrategy<T extends Computer>
        implements Describable<RetentionStrategy<?>>, ExtensionPoint {}
