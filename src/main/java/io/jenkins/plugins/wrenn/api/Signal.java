package io.jenkins.plugins.wrenn.api;

/** The signals the process-kill endpoint honours. */
public enum Signal {
    /** Asks the process to end; it may clean up first. */
    SIGTERM,
    /** Ends the process at once. */
    SIGKILL
}
