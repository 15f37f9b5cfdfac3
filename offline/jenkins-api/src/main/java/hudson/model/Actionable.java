package hudson.model;

public abstract class Actionable {
    public native void addAction(Action a);

    public native <T extends Action> T getAction(Class<T> type);
}
