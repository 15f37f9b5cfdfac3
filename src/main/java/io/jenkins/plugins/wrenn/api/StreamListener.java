package io.jenkins.plugins.wrenn.api;

/**
 * Receives a process's output from a {@link ProcessStream}, in the order the server sent it. Calls
 * come one at a time, on a delivery thread of the stream's, never on the HTTP client's own thread:
 * a call may block (a slow log, say) without holding up other streams. What waits for a slow
 * listener is bounded (the stream stops reading meanwhile). No call starts once the stream's exit
 * code has completed; one under way when {@link ProcessStream#close()} is called may still finish.
 * An exception thrown here ends the stream.
 */
public interface StreamListener {

    /** The process started with this pid (streaming exec only; an attach knows its pid). */
    default void onStart(long pid) {}

    /** A chunk of standard output. */
    void onStdout(String data);

    /** A chunk of standard error. */
    void onStderr(String data);
}
