package io.jenkins.plugins.wrenn.testserver;

/**
 * How the next capsule the server creates misbehaves (see {@link WrennTestServer#failNextCreate}).
 * In both generations the create call itself succeeds; the capsule then never gets to running.
 */
public enum CreateFault {
    /** The capsule stays {@code starting} until it is destroyed, as on a host that never finishes booting it. */
    NEVER_RUNNING,
    /** The capsule is {@code starting}, then after the transition delay ends in {@code error}. */
    ENDS_IN_ERROR
}
