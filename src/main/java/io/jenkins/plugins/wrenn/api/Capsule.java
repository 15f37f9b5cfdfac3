package io.jenkins.plugins.wrenn.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;
import java.util.Set;

/**
 * A capsule as the API describes it. Timestamps stay in the server's text form: the plugin only
 * shows them.
 *
 * @param id the capsule id, e.g. {@code cl-...}
 * @param status one of pending, starting, running, pausing, paused, resuming, snapshotting,
 *     hibernated, stopping, stopped, missing, error
 * @param metadata the labels given at create (newer servers) and the server's own facts, such as
 *     {@code kernel_version}; empty when the server sends none
 * @param diskUsedMb disk used in MiB, on newer servers and only in the answer to a get; null otherwise
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Capsule(
        @JsonProperty("id") String id,
        @JsonProperty("status") String status,
        @JsonProperty("template") String template,
        @JsonProperty("vcpus") int vcpus,
        @JsonProperty("memory_mb") int memoryMb,
        @JsonProperty("timeout_sec") int timeoutSec,
        @JsonProperty("created_at") String createdAt,
        @JsonProperty("started_at") String startedAt,
        @JsonProperty("last_active_at") String lastActiveAt,
        @JsonProperty("last_updated") String lastUpdated,
        @JsonProperty("metadata") Map<String, String> metadata,
        @JsonProperty("disk_used_mb") Long diskUsedMb) {

    /** The status in which commands can run. */
    public static final String RUNNING = "running";

    /** Statuses a capsule passes through on its way to another; a wait must outlast them. */
    public static final Set<String> TRANSITIONAL =
            Set.of("pending", "starting", "pausing", "resuming", "snapshotting", "stopping");

    /** Statuses from which a capsule never gets to running by itself. */
    public static final Set<String> TERMINAL = Set.of("stopped", "missing", "error");

    /** Statuses of a capsule that is kept but does not run: a resume brings it back. */
    public static final Set<String> PAUSED = Set.of("paused", "hibernated");

    public Capsule {
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }

    /** Whether commands can run in this capsule now. */
    public boolean isRunning() {
        return RUNNING.equals(status);
    }

    /** Whether the capsule is on its way from one status to another. */
    public boolean isTransitional() {
        return status != null && TRANSITIONAL.contains(status);
    }

    /** Whether the capsule is gone or broken for good. */
    public boolean isTerminal() {
        return status != null && TERMINAL.contains(status);
    }

    /** Whether the capsule is paused (or hibernated) and a resume would bring it back. */
    public boolean isPaused() {
        return status != null && PAUSED.contains(status);
    }
}
