package io.jenkins.plugins.wrenn.agents;

/** An agent could not be started or did not connect. The message is for users: what happened and what to do. */
public final class AgentLaunchFailure extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why the launch failed, for callers that act on it (and for tests). */
    public enum Reason {
        /** The capsule could not be had (see the lifecycle's message). */
        NO_CAPSULE,
        /** No {@code java} on the capsule user's PATH. */
        NO_JVM,
        /** A Java older than the agent needs. */
        OLD_JVM,
        /** The Wrenn API refused a step of the launch (files, exec). */
        API,
        /** The secret's file could be read by other users of the capsule. */
        SECRET_NOT_PRIVATE,
        /** The agent process ended before it connected. */
        AGENT_EXITED,
        /** The agent could not reach the Jenkins URL from the capsule. */
        URL_UNREACHABLE,
        /** Jenkins refused the agent's secret. */
        KEY_REFUSED,
        /** The agent ran but did not connect in time. */
        NOT_CONNECTED
    }

    private final Reason reason;

    public AgentLaunchFailure(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
