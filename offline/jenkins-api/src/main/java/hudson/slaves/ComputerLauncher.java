package hudson.slaves;

import hudson.ExtensionPoint;
import hudson.model.Describable;
import hudson.model.Descriptor;
import hudson.model.TaskListener;
import java.io.IOException;

public abstract class ComputerLauncher implements Describable<ComputerLauncher>, ExtensionPoint {
    public native boolean isLaunchSupported();

    public native void launch(SlaveComputer computer, TaskListener listener) throws IOException, InterruptedException;

    public native Descriptor<ComputerLauncher> getDescriptor();
}
