package hudson.model.queue;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import hudson.model.Queue;

public interface SubTask {
    default @CheckForNull Queue.Executable getOwnerExecutable() {
        throw new UnsupportedOperationException("declaration only");
    }
}
