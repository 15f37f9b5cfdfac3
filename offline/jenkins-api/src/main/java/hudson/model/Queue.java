package hudson.model;

public class Queue {
    protected Queue() {}

    public interface Task {}
}
