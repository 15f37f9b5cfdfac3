package hudson.slaves;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import hudson.model.Computer;
import hudson.model.Executor;
import hudson.model.Queue;
import hudson.model.Slave;

public class SlaveComputer extends Computer {
    public SlaveComputer(Slave slave) {
        throw new UnsupportedOperationException("declaration only");
    }

    public native String getJnlpMac();

    @CheckForNull
    public native Slave getNode();

    public native void taskAccepted(Executor executor, Queue.Task task);
}
