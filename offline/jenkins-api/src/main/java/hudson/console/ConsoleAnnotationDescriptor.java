package hudson.console;

import hudson.ExtensionPoint;
import hudson.model.Descriptor;

public abstract class ConsoleAnnotationDescriptor extends Descriptor<ConsoleNote<?>> implements ExtensionPoint {
    public ConsoleAnnotationDescriptor() {}
}
