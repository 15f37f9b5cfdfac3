package org.jenkinsci.plugins.workflow.steps;

public abstract class BodyInvoker {
    public abstract BodyInvoker withContext(Object override);

    public native BodyInvoker withContexts(Object... overrides);

    public abstract BodyInvoker withCallback(BodyExecutionCallback callback);

    public abstract BodyExecution start();
}
