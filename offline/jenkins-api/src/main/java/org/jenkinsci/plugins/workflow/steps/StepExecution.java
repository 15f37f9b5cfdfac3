package org.jenkinsci.plugins.workflow.steps;

import java.io.Serializable;

public abstract class StepExecution implements Serializable {
    private static final long serialVersionUID = 1L;

    protected StepExecution(StepContext context) {}

    public native StepContext getContext();

    public abstract boolean start() throws Exception;

    public native void stop(Throwable cause) throws Exception;

    public void onResume() {}

    public native String getStatus();
}
