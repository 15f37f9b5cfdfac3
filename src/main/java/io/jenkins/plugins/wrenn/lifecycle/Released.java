package io.jenkins.plugins.wrenn.lifecycle;

import io.jenkins.plugins.wrenn.usage.CapsuleUsage;
import java.time.Instant;

/**
 * How a capsule was given back.
 *
 * @param capsuleId the capsule
 * @param gone whether it is destroyed, and with it every process that ran in it
 * @param usage what it cost while the build held it; null when the build never had it running
 * @param kept whether it was kept at the end (then {@link #status()} says how it was left)
 * @param keptUntil until when it is kept, or null
 * @param status the capsule's status as it was left, or null when it is gone or was not read
 */
public record Released(
        String capsuleId, boolean gone, CapsuleUsage usage, boolean kept, Instant keptUntil, String status) {}
