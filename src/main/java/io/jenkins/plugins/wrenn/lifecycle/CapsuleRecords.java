package io.jenkins.plugins.wrenn.lifecycle;

import java.io.IOException;
import java.time.Instant;
import java.util.Map;

/**
 * Where the lifecycle reports the capsules it creates, so that one whose build is over can still
 * be found and given back (see {@code io.jenkins.plugins.wrenn.ownership}). Each method but
 * {@link #creating()} only records: it never fails the build.
 */
public interface CapsuleRecords {

    /** Labels that say whose the capsule is, sent with the create. */
    Map<String, String> labels();

    /**
     * Called before the create is sent, so that a capsule whose id never comes back (a crash
     * meanwhile) is still known to exist.
     *
     * @throws IOException when that cannot be recorded; the capsule is then not created
     */
    void creating() throws IOException;

    /** The create answered with this capsule. */
    void created(String capsuleId);

    /** The server refused the create: no capsule exists. */
    void notCreated();

    /**
     * The capsule is kept at the end of its build.
     *
     * @return until when it is kept, or null when nothing will end it
     */
    Instant kept(String capsuleId);

    /** The server accepted the destroy; it may still be on its way. */
    void destroyRequested(String capsuleId);

    /** The capsule is confirmed gone. */
    void gone(String capsuleId);

    /** Records nothing: for callers that keep no records. */
    CapsuleRecords NONE = new CapsuleRecords() {
        @Override
        public Map<String, String> labels() {
            return Map.of();
        }

        @Override
        public void creating() {}

        @Override
        public void created(String capsuleId) {}

        @Override
        public void notCreated() {}

        @Override
        public Instant kept(String capsuleId) {
            return null;
        }

        @Override
        public void destroyRequested(String capsuleId) {}

        @Override
        public void gone(String capsuleId) {}
    };
}
