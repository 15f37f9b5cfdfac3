package io.jenkins.plugins.wrenn;

import hudson.AbortException;
import hudson.model.Run;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.config.WrennGlobalConfiguration;
import io.jenkins.plugins.wrenn.exec.BackgroundProcesses;
import io.jenkins.plugins.wrenn.exec.DurableExecution;
import io.jenkins.plugins.wrenn.exec.SecretMasker;
import io.jenkins.plugins.wrenn.files.FileTransfer;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLifecycle;
import java.io.PrintStream;
import java.util.List;
import org.kohsuke.accmod.Restricted;
import org.kohsuke.accmod.restrictions.NoExternalUse;

/**
 * The Wrenn API as one build step sees it: the credentials it uses, a client for the configured
 * URL, and the engines wired the Jenkins way (standard error marked with {@link StderrNote}).
 */
@Restricted(NoExternalUse.class)
public final class WrennConnection implements AutoCloseable {

    private final String credentialsId;
    private final String apiKey;
    private final WrennClient client;

    private WrennConnection(String credentialsId, String apiKey, WrennClient client) {
        this.credentialsId = credentialsId;
        this.apiKey = apiKey;
        this.client = client;
    }

    /**
     * Connects with the step's credentials, or the global default when it names none.
     *
     * @throws AbortException naming the credentials when they are missing, unknown or not Secret text
     */
    public static WrennConnection forBuild(String stepCredentialsId, Run<?, ?> run) throws AbortException {
        String id = WrennCredentials.effectiveId(stepCredentialsId);
        String apiKey = WrennCredentials.apiKey(id, run);
        return new WrennConnection(id, apiKey, WrennGlobalConfiguration.get().newClient(apiKey));
    }

    /**
     * The step's credentials, for a run on the {@link #durable() shared durable engine}: no client
     * of its own is made.
     *
     * @throws AbortException naming the credentials when they are missing, unknown or not Secret text
     */
    public static WrennConnection forDurableRun(String stepCredentialsId, Run<?, ?> run) throws AbortException {
        String id = WrennCredentials.effectiveId(stepCredentialsId);
        return new WrennConnection(id, WrennCredentials.apiKey(id, run), null);
    }

    /** The id of the credentials in use, for messages. */
    public String credentialsId() {
        return credentialsId;
    }

    /** The text as the build log may show it: with the API key masked, as in the command's live output. */
    public String masked(String text) {
        SecretMasker masker = new SecretMasker(List.of(apiKey));
        return masker.mask(text) + masker.flush();
    }

    /**
     * The shared durable engine for this connection's URL and key. Its client is not this
     * connection's and outlives {@link #close()}.
     */
    public DurableExecution durable() {
        return DurableEngines.forKey(apiKey);
    }

    /** Starts, kills and stops background processes. */
    public BackgroundProcesses backgroundProcesses() {
        return new BackgroundProcesses(client, apiKey, DurableExecution.DEFAULT_KILL_GRACE, StderrNote.MARKER);
    }

    /** Creates, waits for, and destroys or pauses the capsule of a block or a freestyle build. */
    public CapsuleLifecycle lifecycle() {
        return CapsuleLifecycle.withDefaults(client, credentialsId);
    }

    /** Moves files into and out of a capsule, reporting to the build log. */
    public FileTransfer files(String capsule, PrintStream log) {
        return new FileTransfer(client, capsule, credentialsId, log);
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
        }
    }
}
