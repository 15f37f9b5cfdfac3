package hudson.tasks;

import hudson.ExtensionPoint;
import hudson.model.Describable;

public abstract class BuildWrapper implements ExtensionPoint, Describable<BuildWrapper> {}
