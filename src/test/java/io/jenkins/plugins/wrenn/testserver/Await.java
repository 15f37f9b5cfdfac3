package io.jenkins.plugins.wrenn.testserver;

/** Waits for something the server does on its own threads (process exit, table clean-up). */
public final class Await {

    /** A condition that may throw, e.g. one that asks the API. */
    @FunctionalInterface
    public interface Condition {
        boolean holds() throws Exception;
    }

    private Await() {}

    /** Polls until the condition holds; fails with {@code what} after 10 s. */
    public static void until(Condition condition, String what) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("within 10 s: " + what);
            }
            Thread.sleep(20);
        }
    }
}
