package io.jenkins.plugins.wrenn.ownership;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/**
 * The controller's record of a capsule this Jenkins creates: written before the create is sent and
 * removed only once the capsule is confirmed gone, so that a capsule is never forgotten, also where
 * the server keeps no labels (first generation).
 *
 * @param recordId the record's own id, also on the capsule as a label
 * @param capsuleId the capsule's id, null until the create answers
 * @param apiUrl the API the capsule lives on
 * @param credentialsId the credentials it was created with
 * @param job the job's full name
 * @param build the build number
 * @param createdAtMillis when the create was sent
 * @param state where it is in its life
 * @param keptUntilMillis for a kept capsule, when it may be destroyed; 0 otherwise
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record OwnedCapsule(
        String recordId,
        String capsuleId,
        String apiUrl,
        String credentialsId,
        String job,
        int build,
        long createdAtMillis,
        State state,
        long keptUntilMillis) {

    /** Where a capsule is in its life, as far as this Jenkins knows. */
    public enum State {
        /** The create is sent; its answer (the id) may not have come. */
        CREATING,
        /** Its build holds it. */
        ACTIVE,
        /** Kept at the end of its build, until {@link #keptUntilMillis}. */
        KEPT,
        /** The server accepted its destroy; not yet confirmed gone. */
        DESTROYING
    }

    /** Which API and credentials reach it. */
    public Group group() {
        return new Group(apiUrl, credentialsId);
    }

    public Instant createdAt() {
        return Instant.ofEpochMilli(createdAtMillis);
    }

    /** Until when it is kept, or null when it is not. */
    public Instant keptUntil() {
        return state == State.KEPT && keptUntilMillis > 0 ? Instant.ofEpochMilli(keptUntilMillis) : null;
    }

    OwnedCapsule withCapsule(String id) {
        return new OwnedCapsule(
                recordId, id, apiUrl, credentialsId, job, build, createdAtMillis, State.ACTIVE, keptUntilMillis);
    }

    OwnedCapsule with(State newState, long keptUntil) {
        return new OwnedCapsule(
                recordId, capsuleId, apiUrl, credentialsId, job, build, createdAtMillis, newState, keptUntil);
    }
}
