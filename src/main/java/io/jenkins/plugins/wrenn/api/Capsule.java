package io.jenkins.plugins.wrenn.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A capsule as the API describes it. Timestamps stay in the server's text form: the plugin only
 * shows them.
 *
 * @param id the capsule id, e.g. {@code cl-...}
 * @param status one of pending, starting, running, paused, hibernated, stopped, missing, error
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
        @JsonProperty("last_updated") String lastUpdated) {

    /** The status in which commands can run. */
    public static final String RUNNING = "running";

    /** Whether commands can run in this capsule now. */
    public boolean isRunning() {
        return RUNNING.equals(status);
    }
}
