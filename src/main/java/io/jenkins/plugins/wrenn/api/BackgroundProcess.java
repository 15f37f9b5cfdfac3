package io.jenkins.plugins.wrenn.api;

/**
 * A process started in the background.
 *
 * @param pid the process id inside the capsule
 * @param tag the stable name to stream or kill it by
 */
public record BackgroundProcess(long pid, String tag) {}
