package org.jenkinsci.plugins.workflow.steps;

import hudson.ExtensionPoint;
import hudson.model.Describable;

public abstract class Step implements ExtensionPoint, Describable<Step> {
    public abstract StepExecution start(StepContext context) throws Exception;
}
