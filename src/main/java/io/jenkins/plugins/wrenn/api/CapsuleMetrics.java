package io.jenkins.plugins.wrenn.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * A capsule's resource samples over a range, as {@code GET /v1/capsules/{id}/metrics} answers
 * them: the server keeps them while the capsule runs or is paused, and forgets them once it is
 * destroyed.
 *
 * @param range the range asked for, e.g. {@code 5m}
 * @param points the samples, oldest first (null from the server reads as none)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CapsuleMetrics(
        @JsonProperty("sandbox_id") String capsuleId,
        @JsonProperty("range") String range,
        @JsonProperty("points") List<Point> points) {

    public CapsuleMetrics {
        points = points == null ? List.of() : List.copyOf(points);
    }

    /**
     * One sample.
     *
     * @param cpuPct CPU in use, as a percentage of all the capsule's vCPUs (0 to 100)
     * @param memBytes memory the capsule's virtual machine holds
     * @param diskBytes disk the capsule has written
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Point(
            @JsonProperty("timestamp_unix") long timestampUnix,
            @JsonProperty("cpu_pct") double cpuPct,
            @JsonProperty("mem_bytes") long memBytes,
            @JsonProperty("disk_bytes") long diskBytes) {}
}
