package io.jenkins.plugins.wrenn.lifecycle;

import java.io.Serializable;

/**
 * A capsule a build holds, with what to do with it at the end. Serializable, so that a Pipeline
 * block still knows after a controller restart which capsule to destroy; a plain class rather
 * than a record, because the Pipeline's program state is written with a serializer that predates
 * records.
 */
public final class CapsuleLease implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String capsuleId;
    private final boolean created;
    private final boolean keep;
    private final boolean pauseAfter;

    /**
     * @param capsuleId the capsule's id
     * @param created whether the build created it (then it is destroyed at the end unless {@code keep})
     * @param keep keep a created capsule
     * @param pauseAfter pause an existing capsule at the end
     */
    public CapsuleLease(String capsuleId, boolean created, boolean keep, boolean pauseAfter) {
        this.capsuleId = capsuleId;
        this.created = created;
        this.keep = keep;
        this.pauseAfter = pauseAfter;
    }

    public String capsuleId() {
        return capsuleId;
    }

    public boolean created() {
        return created;
    }

    public boolean keep() {
        return keep;
    }

    public boolean pauseAfter() {
        return pauseAfter;
    }
}
