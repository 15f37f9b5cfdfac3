package hudson.slaves;

import hudson.model.TaskListener;

public class JNLPLauncher extends ComputerLauncher {
    public JNLPLauncher() {}

    @Override
    public native boolean isLaunchSupported();

    public native void setWebSocket(boolean webSocket);

    @Override
    public native void launch(SlaveComputer computer, TaskListener listener);
}
