package hudson;

public abstract class Launcher {
    protected Launcher() {}
}
