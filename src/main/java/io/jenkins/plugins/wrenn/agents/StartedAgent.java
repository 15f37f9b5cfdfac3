package io.jenkins.plugins.wrenn.agents;

/**
 * An agent process started in a capsule.
 *
 * @param capsuleId the capsule it runs in
 * @param pid its process id in the capsule
 * @param tag its process tag in the capsule
 */
public record StartedAgent(String capsuleId, long pid, String tag) {}
