package io.jenkins.plugins.wrenn.api;

import java.util.Map;

/**
 * What to create a capsule from. Zero or null leaves a value to the server's default, and is then
 * not sent at all: the defaults differ between server versions.
 *
 * @param template the template name, e.g. {@code minimal-ubuntu}
 * @param vcpus virtual CPUs
 * @param memoryMb memory in MiB
 * @param timeoutSec idle seconds after which the server pauses the capsule
 * @param metadata labels to put on the capsule (newer servers keep them, at most 20 keys of at most
 *     64 characters each; older ones ignore them); empty for none
 */
public record CapsuleSpec(String template, int vcpus, int memoryMb, int timeoutSec, Map<String, String> metadata) {

    public CapsuleSpec {
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }

    /** A capsule without labels. */
    public CapsuleSpec(String template, int vcpus, int memoryMb, int timeoutSec) {
        this(template, vcpus, memoryMb, timeoutSec, Map.of());
    }
}
