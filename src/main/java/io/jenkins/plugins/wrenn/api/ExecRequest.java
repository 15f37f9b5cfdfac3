package io.jenkins.plugins.wrenn.api;

import java.util.List;
import java.util.Map;

/**
 * The body of {@code POST /v1/capsules/{id}/exec}. Use {@link #foreground} or {@link #background}:
 * the API takes {@code envs} and {@code cwd} only in background mode and a timeout only in
 * foreground mode, and the factories keep those apart.
 *
 * @param cmd the program, never blank
 * @param args its arguments, passed exactly (no shell)
 * @param timeoutSec foreground only: seconds before the server gives up; null leaves the server's
 *     default (30 s on the server, whatever its documentation says)
 * @param background whether to start the process and return at once
 * @param tag background only: the name to find the process by later; null lets the server choose
 * @param envs background only: extra environment variables
 * @param cwd background only: the working directory; null for the server's default
 */
public record ExecRequest(
        String cmd,
        List<String> args,
        Integer timeoutSec,
        boolean background,
        String tag,
        Map<String, String> envs,
        String cwd) {

    public ExecRequest {
        if (cmd == null || cmd.isBlank()) {
            throw new IllegalArgumentException("cmd: the command must not be empty");
        }
        args = args == null ? List.of() : List.copyOf(args);
        envs = envs == null ? Map.of() : Map.copyOf(envs);
        if (timeoutSec != null && timeoutSec < 0) {
            throw new IllegalArgumentException("timeout_sec: must not be negative, got " + timeoutSec);
        }
        if (!background) {
            if (tag != null) {
                throw new IllegalArgumentException("tag: the API takes a tag only in background mode");
            }
            if (!envs.isEmpty()) {
                throw new IllegalArgumentException("envs: the API takes environment variables only in background mode");
            }
            if (cwd != null) {
                throw new IllegalArgumentException("cwd: the API takes a working directory only in background mode");
            }
        } else if (timeoutSec != null) {
            throw new IllegalArgumentException("timeout_sec: the API takes a timeout only in foreground mode");
        }
    }

    /** A blocking exec; {@code timeoutSec} may be null for the server's default. */
    public static ExecRequest foreground(String cmd, List<String> args, Integer timeoutSec) {
        return new ExecRequest(cmd, args, timeoutSec, false, null, null, null);
    }

    /** A background exec; tag, envs and cwd may each be null. */
    public static ExecRequest background(
            String cmd, List<String> args, String tag, Map<String, String> envs, String cwd) {
        return new ExecRequest(cmd, args, null, true, tag, envs, cwd);
    }
}
