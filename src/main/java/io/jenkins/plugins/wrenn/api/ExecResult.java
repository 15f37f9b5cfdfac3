package io.jenkins.plugins.wrenn.api;

/**
 * The outcome of a blocking (foreground) exec. Output that the server sent base64-encoded has
 * been decoded already.
 *
 * @param stdout everything the process wrote to standard output
 * @param stderr everything the process wrote to standard error
 * @param exitCode the process's exit code
 * @param durationMs how long the process ran, as the server measured it
 */
public record ExecResult(String stdout, String stderr, int exitCode, long durationMs) {}
