package io.jenkins.plugins.wrenn.api;

/**
 * What to create a capsule from. Zero or null leaves a value to the server's default.
 *
 * @param template the template name, e.g. {@code base}
 * @param vcpus virtual CPUs
 * @param memoryMb memory in MiB
 * @param timeoutSec idle seconds after which the server pauses the capsule
 */
public record CapsuleSpec(String template, int vcpus, int memoryMb, int timeoutSec) {}
