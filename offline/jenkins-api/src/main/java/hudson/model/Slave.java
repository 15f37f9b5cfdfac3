package hudson.model;

import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.Launcher;
import hudson.slaves.ComputerLauncher;
import hudson.slaves.NodeDescriptor;
import hudson.slaves.RetentionStrategy;
import hudson.slaves.SlaveComputer;
import java.io.IOException;
import java.io.Serializable;
import java.net.URL;

public abstract class Slave extends Node implements Serializable {
    private static final long serialVersionUID = 1L;

    protected Slave(@NonNull String name, String remoteFS, ComputerLauncher launcher)
            throws Descriptor.FormException, IOException {
        throw new UnsupportedOperationException("declaration only");
    }

    @Override
    public native String getNodeName();

    public native void setNodeDescription(String value);

    public native void setNumExecutors(int n);

    public native void setMode(Mode mode);

    @SuppressWarnings("rawtypes")
    public native void setRetentionStrategy(RetentionStrategy availabilityStrategy);

    @Override
    public native Launcher createLauncher(TaskListener listener);

    public native SlaveComputer getComputer();

    public abstract static class SlaveDescriptor extends NodeDescriptor {}

    public static final class JnlpJar {
        public JnlpJar(String fileName) {
            throw new UnsupportedOperationException("declaration only");
        }

        public native URL getURL() throws IOException;
    }
}
