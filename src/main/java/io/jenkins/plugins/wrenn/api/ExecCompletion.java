package io.jenkins.plugins.wrenn.api;

/**
 * How a foreground exec ended when its outputs went to streams of the caller's.
 *
 * @param exitCode the process's exit code
 * @param durationMs how long the process ran, as the server measured it
 */
public record ExecCompletion(int exitCode, long durationMs) {}
