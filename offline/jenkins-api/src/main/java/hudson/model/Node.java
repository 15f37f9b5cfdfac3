package hudson.model;

import hudson.ExtensionPoint;
import hudson.Launcher;
import hudson.security.AccessControlled;
import java.io.IOException;

public abstract class Node implements Describable<Node>, ExtensionPoint, AccessControlled {
    public native void save() throws IOException;

    public abstract String getNodeName();

    public abstract Launcher createLauncher(TaskListener listener);

    public native void setLabelString(String labelString) throws IOException;

    public enum Mode {
        NORMAL,
        EXCLUSIVE
    }
}
