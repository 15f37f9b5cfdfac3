package hudson.model;

public abstract class Actionable {
    public void addAction(Action a) {
        throw new UnsupportedOperationException("declaration only");
    }

    public <T extends Action> T getAction(Class<T> type) {
        throw new UnsupportedOperationException("declaration only");
    }
}
