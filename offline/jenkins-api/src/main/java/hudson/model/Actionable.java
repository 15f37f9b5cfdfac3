package hudson.model;

import edu.umd.cs.findbugs.annotations.NonNull;

public abstract class Actionable {
    public native void addAction(@NonNull Action a);

    public native <T extends Action> T getAction(Class<T> type);
}
