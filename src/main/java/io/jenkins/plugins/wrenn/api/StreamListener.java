package io.jenkins.plugins.wrenn.api;

/**
 * Receives a process's output from a {@link ProcessStream}, in the order the server sent it. Calls
 * come one at a time from the HTTP client's thread; the next message is not read until a call
 * returns, which keeps memory bounded by one message. An exception thrown here ends the stream.
 */
public interface StreamListener {

    /** The process started with this pid (streaming exec only; an attach knows its pid). */
    default void onStart(long pid) {}

    /** A chunk of standard output. */
    void onStdout(String data);

    /** A chunk of standard error. */
    void onStderr(String data);
}
