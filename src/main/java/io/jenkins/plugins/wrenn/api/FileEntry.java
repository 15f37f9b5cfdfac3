package io.jenkins.plugins.wrenn.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A file or directory in a capsule, as {@code files/list} and {@code files/mkdir} describe it.
 *
 * <p>The capsule's agent describes a symbolic link by what it resolves to (envd
 * {@code GetEntryInfo}): {@code type} and {@code mode} are the target's, {@code symlinkTarget}
 * is the fully resolved absolute path (the link's own path when it resolves nowhere, and then
 * {@code type} is {@code unknown} and {@code mode} 0); only {@code size} and
 * {@code permissions} are the link's own. So a link is recognised by a non-null
 * {@code symlinkTarget}, never by its type.
 *
 * @param name the last path segment
 * @param path the absolute path in the capsule, below the path that was listed
 * @param type {@code file}, {@code directory} or {@code unknown} (devices, pipes, sockets, dangling
 *     links); the server also knows {@code symlink} but its agent never reports it
 * @param size the size in bytes
 * @param mode the permission bits ({@code 0755}), without the file type
 * @param permissions the mode as text, e.g. {@code -rw-r--r--}, {@code drwxr-xr-x} or
 *     {@code Lrwxrwxrwx} for a link
 * @param owner the owning user's name (or number)
 * @param group the owning group's name (or number)
 * @param modifiedAt the modification time in seconds since the epoch
 * @param symlinkTarget where a symbolic link resolves to, or null when the entry is not a link
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record FileEntry(
        @JsonProperty("name") String name,
        @JsonProperty("path") String path,
        @JsonProperty("type") String type,
        @JsonProperty("size") long size,
        @JsonProperty("mode") int mode,
        @JsonProperty("permissions") String permissions,
        @JsonProperty("owner") String owner,
        @JsonProperty("group") String group,
        @JsonProperty("modified_at") long modifiedAt,
        @JsonProperty("symlink_target") String symlinkTarget) {}
