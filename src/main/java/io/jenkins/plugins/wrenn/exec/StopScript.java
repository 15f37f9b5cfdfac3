package io.jenkins.plugins.wrenn.exec;

import io.jenkins.plugins.wrenn.api.ExecRequest;
import io.jenkins.plugins.wrenn.api.ExecResult;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;
import java.time.Duration;
import java.util.List;

/**
 * Signals a durable run's command and everything it started (the processes whose environment holds
 * its {@code WRENN_RUN}), or a background process's process group, and waits for them to go, with
 * {@code stop.sh} run as a foreground exec: the plugin's own stop, the same on every server
 * generation (v0.1.5 signals only the pid it started, newer servers that pid's process group, and
 * neither reaches what a wrapped command started). The wait happens in the capsule, so a stop
 * costs one request per signal.
 */
final class StopScript {

    /** What {@code stop.sh} found once it had sent the signal and waited. */
    enum Found {
        /** No process is left. */
        GONE,
        /** Some are still there. */
        RUNNING,
        /** A run's command had not started, and now never will. */
        NEVER,
        /** Nothing could be learnt: the request failed, or the capsule could not be written. */
        UNKNOWN;

        /** Whether nothing of it runs any more, nor ever will. */
        boolean settled() {
            return this == GONE || this == NEVER;
        }
    }

    /** The answer of one {@code stop.sh}: whether anything got the signal, and what was found. */
    record Result(boolean sent, Found found) {}

    private StopScript() {}

    /**
     * Sends the signal and waits up to {@code wait} for the group to go.
     *
     * @param signal {@code TERM}, {@code KILL}, or {@code 0} to look only
     * @param target a process group's id (its leader's pid), or a run's control prefix
     * @throws WrennApiException when the capsule did not run the script
     */
    static Result send(WrennClient client, String capsuleId, String signal, Duration wait, String target)
            throws WrennApiException, InterruptedException {
        int seconds = (int) Math.max(0, wait.toSeconds());
        ExecResult r = client.commands()
                .run(
                        capsuleId,
                        ExecRequest.foreground(
                                "/bin/sh",
                                List.of(
                                        "-c",
                                        CapsuleScripts.STOP,
                                        "wrenn-stop",
                                        signal,
                                        Integer.toString(seconds),
                                        target),
                                seconds + 10));
        String[] words = r.stdout().strip().split(" ");
        boolean sent = words[0].equals("sent");
        return switch (words[words.length - 1]) {
            case "gone" -> new Result(sent, Found.GONE);
            case "running" -> new Result(sent, Found.RUNNING);
            case "never" -> new Result(false, Found.NEVER);
            default -> new Result(false, Found.UNKNOWN);
        };
    }
}
