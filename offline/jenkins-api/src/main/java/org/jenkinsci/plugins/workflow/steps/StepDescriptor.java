package org.jenkinsci.plugins.workflow.steps;

import hudson.model.Descriptor;
import java.util.Map;
import java.util.Set;

public abstract class StepDescriptor extends Descriptor<Step> {
    protected StepDescriptor() {}

    public abstract Set<? extends Class<?>> getRequiredContext();

    public abstract String getFunctionName();

    public native boolean takesImplicitBlockArgument();

    public native String argumentsToString(Map<String, Object> namedArgs);
}
