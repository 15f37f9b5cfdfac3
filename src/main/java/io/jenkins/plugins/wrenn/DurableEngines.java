package io.jenkins.plugins.wrenn;

import hudson.init.Terminator;
import io.jenkins.plugins.wrenn.config.WrennGlobalConfiguration;
import io.jenkins.plugins.wrenn.exec.DurableExecution;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.kohsuke.accmod.Restricted;
import org.kohsuke.accmod.restrictions.NoExternalUse;

/**
 * The durable engines of this Jenkins, one per API URL, key and connect timeout, shared by every
 * running step that uses them: one HTTP client (one selector thread) and one timer serve them all,
 * so a thousand waiting steps cost no thread each. They live until Jenkins shuts down.
 */
public final class DurableEngines {

    private static final Map<String, DurableExecution> ENGINES = new ConcurrentHashMap<>();

    private DurableEngines() {}

    /** The shared engine for the configured URL and this key. */
    @Restricted(NoExternalUse.class)
    public static DurableExecution forKey(String apiKey) {
        WrennGlobalConfiguration config = WrennGlobalConfiguration.get();
        String key = config.getApiUrl() + '\n' + config.getConnectTimeoutSeconds() + '\n' + apiKey;
        return ENGINES.computeIfAbsent(
                key,
                k -> new DurableExecution(
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
        ENGINES.values().forEach(DurableExecution::detach);
        ENGINES.clear();
    }
}
