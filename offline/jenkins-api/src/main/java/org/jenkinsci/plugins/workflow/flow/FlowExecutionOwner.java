package org.jenkinsci.plugins.workflow.flow;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.model.Queue;
import hudson.model.TaskListener;
import java.io.IOException;
import java.io.Serializable;

public abstract class FlowExecutionOwner implements Serializable {
    private static final long serialVersionUID = 1L;

    public native @NonNull TaskListener getListener() throws IOException;

    public interface Executable extends Queue.Executable {
        @CheckForNull
        FlowExecutionOwner asFlowExecutionOwner();
    }
}
