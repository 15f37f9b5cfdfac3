package org.jenkinsci.plugins.workflow.steps;

public abstract class SynchronousNonBlockingStepExecution<T> extends StepExecution {
    private static final long serialVersionUID = 1L;

    protected SynchronousNonBlockingStepExecution(StepContext context) {
        super(context);
    }

    @Override
    public final native boolean start() throws Exception;

    protected abstract T run() throws Exception;

    @Override
    public native void stop(Throwable cause) throws Exception;
}
