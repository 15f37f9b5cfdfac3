package io.jenkins.plugins.wrenn.lifecycle;

import java.io.Serializable;
import java.time.Instant;

/**
 * A capsule a build holds, with what to do with it at the end. Serializable, so that a Pipeline
 * block still knows after a controller restart which capsule to give back and how; a plain class
 * rather than a record, because the Pipeline's program state is written with a serializer that
 * predates records.
 */
public final class CapsuleLease implements Serializable {

    private static final long serialVersionUID = 2L;

    private final String capsuleId;
    private final boolean created;
    private final KeepPolicy keep;
    private final boolean pauseAfter;
    private final int vcpus;
    private final int memoryMb;
    private final long runningSinceMillis;

    /**
     * @param capsuleId the capsule's id
     * @param created whether the build created it (then it is destroyed at the end unless kept)
     * @param keep when a created capsule is kept
     * @param pauseAfter pause an existing capsule at the end
     * @param vcpus the capsule's vCPUs as the server reported them, 0 when unknown
     * @param memoryMb the capsule's memory in MiB as the server reported it, 0 when unknown
     */
    public CapsuleLease(
            String capsuleId, boolean created, KeepPolicy keep, boolean pauseAfter, int vcpus, int memoryMb) {
        this(capsuleId, created, keep, pauseAfter, vcpus, memoryMb, 0);
    }

    private CapsuleLease(
            String capsuleId,
            boolean created,
            KeepPolicy keep,
            boolean pauseAfter,
            int vcpus,
            int memoryMb,
            long runningSinceMillis) {
        this.capsuleId = capsuleId;
        this.created = created;
        this.keep = keep == null ? KeepPolicy.NEVER : keep;
        this.pauseAfter = pauseAfter;
        this.vcpus = vcpus;
        this.memoryMb = memoryMb;
        this.runningSinceMillis = runningSinceMillis;
    }

    /** The same lease, held running from this moment on. */
    CapsuleLease runningSince(Instant at) {
        return new CapsuleLease(capsuleId, created, keep, pauseAfter, vcpus, memoryMb, at.toEpochMilli());
    }

    public String capsuleId() {
        return capsuleId;
    }

    public boolean created() {
        return created;
    }

    public KeepPolicy keep() {
        return keep;
    }

    public boolean pauseAfter() {
        return pauseAfter;
    }

    public int vcpus() {
        return vcpus;
    }

    public int memoryMb() {
        return memoryMb;
    }

    /** Since when the build has had the capsule running, or null when it never had. */
    public Instant runningSince() {
        return runningSinceMillis == 0 ? null : Instant.ofEpochMilli(runningSinceMillis);
    }
}
