package io.jenkins.plugins.wrenn.exec;

/**
 * A command that could not run to an exit code. The message is written for the person reading
 * the build log: what happened and what to do about it.
 */
public final class ExecutionFailure extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why the command did not produce an exit code. */
    public enum Reason {
        CAPSULE_NOT_FOUND,
        INVALID_CAPSULE_ID,
        CAPSULE_NOT_RUNNING,
        AUTHENTICATION_FAILED,
        FORBIDDEN,
        START_FAILED,
        TIMED_OUT,
        EXITED_BEFORE_READY,
        CONNECTION_FAILED,
        CONNECTION_LOST,
        SERVER_ERROR,
        /** The server at the API URL is not the Wrenn API (a 404 without its error envelope). */
        NOT_THE_API,
        UNEXPECTED
    }

    private final Reason reason;

    public ExecutionFailure(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
