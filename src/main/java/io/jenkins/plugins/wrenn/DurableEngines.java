package io.jenkins.plugins.wrenn;

import hudson.init.Terminator;
import io.jenkins.plugins.wrenn.config.WrennGlobalConfiguration;
import io.jenkins.plugins.wrenn.exec.DurableExecution;
import io.jenkins.plugins.wrenn.exec.SharedEngines;
import java.time.Duration;
import org.kohsuke.accmod.Restricted;
import org.kohsuke.accmod.restrictions.NoExternalUse;

/**
 * The durable engines of this Jenkins, one per API URL, key and connect timeout, shared by every
 * running step that uses them: one HTTP client (one selector thread) and one timer serve them all,
 * so a thousand waiting steps cost no thread each. An engine that has had nothing to do for
 * {@link #IDLE_TIME} is closed with its threads (see {@link SharedEngines}).
 */
public final class DurableEngines {

    /** How long an engine with no run and nothing to clean up is kept for the next step. */
    static final Duration IDLE_TIME = Duration.ofMinutes(5);

    private static final SharedEngines ENGINES = new SharedEngines(IDLE_TIME);

    private DurableEngines() {}

    /** The shared engine for the configured URL and this key; use it at once. */
    @Restricted(NoExternalUse.class)
    public static DurableExecution forKey(String apiKey) {
        WrennGlobalConfiguration config = WrennGlobalConfiguration.get();
        String key = config.getApiUrl() + '\n' + config.getConnectTimeoutSeconds() + '\n' + apiKey;
        return ENGINES.get(
                key,
                () -> new DurableExecution(
                        config.newClient(apiKey),
                        apiKey,
                        DurableExecution.DEFAULT_KILL_GRACE,
                        null,
                        StderrNote.MARKER));
    }

    /**
     * Lets go of the engines when Jenkins shuts down, without stopping their commands or removing
     * their files: the next Jenkins resumes each step from its saved state and must find them as
     * they are. (A restart within one JVM, as the real-build tests do, would otherwise leave the old
     * engines acting for a Jenkins that is gone.)
     */
    @Terminator
    public static void detachAll() {
        ENGINES.detachAll();
    }
}
