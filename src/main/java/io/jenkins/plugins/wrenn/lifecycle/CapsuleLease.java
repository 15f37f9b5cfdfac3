package io.jenkins.plugins.wrenn.lifecycle;

import java.io.Serializable;

/**
 * A capsule a build holds, with what to do with it at the end. Serializable, so that a Pipeline
 * block still knows after a controller restart which capsule to destroy.
 *
 * @param capsuleId the capsule's id
 * @param created whether the build created it (then it is destroyed at the end unless {@code keep})
 * @param keep keep a created capsule
 * @param pauseAfter pause an existing capsule at the end
 */
public record CapsuleLease(String capsuleId, boolean created, boolean keep, boolean pauseAfter)
        implements Serializable {}
