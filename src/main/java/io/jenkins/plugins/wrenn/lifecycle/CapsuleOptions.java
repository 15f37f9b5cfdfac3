package io.jenkins.plugins.wrenn.lifecycle;

import io.jenkins.plugins.wrenn.api.CapsuleSpec;
import java.io.Serializable;
import java.time.Duration;
import java.util.Map;

/**
 * What a build asks of its capsule: a fresh one made from a template, or an existing one by id.
 * Serializable as part of a Pipeline step's state: a plain class rather than a record, because the
 * Pipeline's program state is written with a serializer that predates records.
 */
public final class CapsuleOptions implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String template;
    private final int vcpus;
    private final int memoryMb;
    private final int timeoutSec;
    private final int waitTimeoutSec;
    private final KeepPolicy keep;
    private final String capsule;
    private final boolean resume;
    private final boolean pauseAfter;

    /**
     * @param template template of a fresh capsule; null for the server's default
     * @param vcpus virtual CPUs of a fresh capsule; 0 for the server's default
     * @param memoryMb memory of a fresh capsule in MiB; 0 for the server's default
     * @param timeoutSec idle seconds after which the server pauses a fresh capsule; 0 for the default
     * @param waitTimeoutSec how long to wait for the capsule to be running; 0 for {@link #DEFAULT_WAIT}
     * @param keep when a fresh capsule is kept, paused, at the end instead of destroyed; null for never
     * @param capsule the id of an existing capsule to use instead of creating one, or null
     * @param resume resume the existing capsule first if it is paused
     * @param pauseAfter pause the existing capsule again at the end
     */
    public CapsuleOptions(
            String template,
            int vcpus,
            int memoryMb,
            int timeoutSec,
            int waitTimeoutSec,
            KeepPolicy keep,
            String capsule,
            boolean resume,
            boolean pauseAfter) {
        this.template = template;
        this.vcpus = vcpus;
        this.memoryMb = memoryMb;
        this.timeoutSec = timeoutSec;
        this.waitTimeoutSec = waitTimeoutSec;
        this.keep = keep == null ? KeepPolicy.NEVER : keep;
        this.capsule = capsule;
        this.resume = resume;
        this.pauseAfter = pauseAfter;
    }

    public String template() {
        return template;
    }

    public int vcpus() {
        return vcpus;
    }

    public int memoryMb() {
        return memoryMb;
    }

    public int timeoutSec() {
        return timeoutSec;
    }

    public KeepPolicy keep() {
        return keep;
    }

    public String capsule() {
        return capsule;
    }

    public boolean resume() {
        return resume;
    }

    public boolean pauseAfter() {
        return pauseAfter;
    }

    /** How long a capsule may take to become running unless the build says otherwise. */
    public static final Duration DEFAULT_WAIT = Duration.ofMinutes(5);

    /** Whether these options name an existing capsule rather than asking for a fresh one. */
    public boolean existing() {
        return capsule != null && !capsule.isBlank();
    }

    /** The bounded wait for the running status. */
    public Duration waitTimeout() {
        return waitTimeoutSec > 0 ? Duration.ofSeconds(waitTimeoutSec) : DEFAULT_WAIT;
    }

    CapsuleSpec spec(Map<String, String> labels) {
        return new CapsuleSpec(template, vcpus, memoryMb, timeoutSec, labels);
    }

    /**
     * The options that cannot mean anything together, in words for the user; null when there are none.
     * Creation settings and {@code keep} belong to a fresh capsule, {@code resume} and {@code
     * pauseAfter} to an existing one.
     */
    public String problem() {
        if (vcpus < 0 || memoryMb < 0 || timeoutSec < 0 || waitTimeoutSec < 0) {
            return Messages.Options_Negative();
        }
        if (existing()
                && (template != null || vcpus > 0 || memoryMb > 0 || timeoutSec > 0 || keep != KeepPolicy.NEVER)) {
            return Messages.Options_ExistingWithCreate();
        }
        if (!existing() && (resume || pauseAfter)) {
            return Messages.Options_FreshWithResume();
        }
        return null;
    }
}
