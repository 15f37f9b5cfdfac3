package hudson.slaves;

import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.model.Slave;
import hudson.model.TaskListener;
import java.io.IOException;

public abstract class AbstractCloudSlave extends Slave {
    private static final long serialVersionUID = 1L;

    protected AbstractCloudSlave(@NonNull String name, String remoteFS, ComputerLauncher launcher)
            throws hudson.model.Descriptor.FormException, IOException {
        super(name, remoteFS, launcher);
    }

    @SuppressWarnings("rawtypes")
    public abstract AbstractCloudComputer createComputer();

    public native void terminate() throws InterruptedException, IOException;

    protected abstract void _terminate(TaskListener listener) throws IOException, InterruptedException;
}
