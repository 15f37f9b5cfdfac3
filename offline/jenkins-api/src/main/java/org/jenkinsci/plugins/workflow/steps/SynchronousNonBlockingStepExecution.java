package org.jenkinsci.plugins.workflow.steps;

public abstract class SynchronousNonBlockingStepExecution<T> extends StepExecution {
    private static final long serialVersionUID = 1L;

    protected SynchronousNonBlockingStepExecution(StepContext context) {
        super(context);
    }

    @Override
    public final boolean start() throws Exception {
        throw new UnsupportedOperationException("declaration only");
    }

    protected abstract T run() throws Exception;

    @Override
    public void stop(Throwable cause) throws Exception {
        throw new UnsupportedOperationException("declaration only");
    }
}
