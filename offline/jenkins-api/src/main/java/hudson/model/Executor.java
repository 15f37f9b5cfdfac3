package hudson.model;

import edu.umd.cs.findbugs.annotations.CheckForNull;

public class Executor extends Thread {
    private Executor() {}

    public native @CheckForNull Queue.Executable getCurrentExecutable();
}
