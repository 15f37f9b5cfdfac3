package io.jenkins.plugins.wrenn.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A file or directory in a capsule, as {@code files/list} and {@code files/mkdir} describe it.
 *
 * @param name the last path segment
 * @param path the absolute path in the capsule
 * @param type the kind the server names, e.g. {@code file} or {@code directory}
 * @param size the size in bytes
 * @param mode the Unix mode bits
 * @param symlinkTarget where a symbolic link points, or null
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record FileEntry(
        @JsonProperty("name") String name,
        @JsonProperty("path") String path,
        @JsonProperty("type") String type,
        @JsonProperty("size") long size,
        @JsonProperty("mode") int mode,
        @JsonProperty("symlink_target") String symlinkTarget) {}
