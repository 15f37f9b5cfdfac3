package io.jenkins.plugins.wrenn.exec;

import io.jenkins.plugins.wrenn.api.BackgroundProcess;
import io.jenkins.plugins.wrenn.api.ExecRequest;
import io.jenkins.plugins.wrenn.api.ProcessStream;
import io.jenkins.plugins.wrenn.api.Signal;
import io.jenkins.plugins.wrenn.api.StreamListener;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Starts long-running processes in a capsule and leaves them running, and stops them later.
 *
 * <p><b>Waiting for readiness.</b> An attach sees only output written after it, and a test server
 * may print "Listening on" within milliseconds of starting. So when a start waits for a text, the
 * command is started behind a {@link GatedProcess gate} that opens only once the engine is
 * attached, so not a byte of the command's output is missed.
 */
public final class BackgroundProcesses {

    private final WrennClient client;
    private final String apiKey;
    private final Duration killGrace;
    private final StderrMarker stderrMarker;

    /**
     * @param killGrace how long a process gets after SIGTERM before SIGKILL
     * @param stderrMarker what to write before each chunk of standard error shown while waiting
     */
    public BackgroundProcesses(WrennClient client, String apiKey, Duration killGrace, StderrMarker stderrMarker) {
        this.client = client;
        this.apiKey = apiKey;
        this.killGrace = killGrace;
        this.stderrMarker = stderrMarker;
    }

    /**
     * Starts the process; with {@code waitFor}, returns once it printed that text. Its output up to
     * then goes to the log.
     *
     * @throws ExecutionFailure when it cannot start, exits before it is ready, or is not ready in
     *     time (then it is stopped)
     * @throws InterruptedException when interrupted; a process started behind a gate is stopped
     */
    public BackgroundProcess start(BackgroundSpec spec, OutputStream log)
            throws ExecutionFailure, InterruptedException, IOException {
        // No precheck: the start request itself answers 404/409/401 with what ApiFailures reports.
        LogOutput output = new LogOutput(log, List.of(apiKey), false, stderrMarker);
        if (spec.waitFor() == null) {
            BackgroundProcess p = launch(spec);
            output.note(Messages.Note_Started(Long.toString(p.pid()), p.tag(), spec.capsuleId()));
            return p;
        }
        GatedProcess gated = GatedProcess.launch(
                client,
                spec.capsuleId(),
                null,
                spec.command(),
                spec.envs(),
                spec.cwd(),
                spec.tag(),
                spec.credentialsName());
        BackgroundProcess p = gated.process();
        output.note(Messages.Note_StartedWaiting(
                Long.toString(p.pid()),
                p.tag(),
                spec.capsuleId(),
                Long.toString(spec.waitTimeout().toSeconds()),
                spec.waitFor()));
        ReadinessWatch watch = new ReadinessWatch(output, spec.waitFor());
        boolean ready = false;
        try (ProcessStream stream = gated.attach(watch)) {
            gated.open();
            ready = awaitReady(spec, p, watch, stream);
            output.note(Messages.Note_Ready(Long.toString(p.pid())));
            return p;
        } finally {
            if (!ready) {
                new RemoteStop(client, killGrace).stop(spec.capsuleId(), p.pid(), output::note);
            }
            output.finishQuietly();
        }
    }

    /**
     * Sends a signal to a process by pid or tag, and to every process in its process group (the
     * process and what it started), on every server generation.
     *
     * @return false when the process had already ended (the capsule exists but the process does not)
     */
    public boolean kill(String capsuleId, String selector, Signal signal, String credentialsName)
            throws ExecutionFailure, InterruptedException {
        String word = signal == Signal.SIGKILL ? "KILL" : "TERM";
        try {
            String group = selector;
            if (!selector.chars().allMatch(Character::isDigit)) {
                group = client.processes().list(capsuleId).stream()
                        .filter(p -> selector.equals(p.tag()))
                        .map(p -> Long.toString(p.pid()))
                        .findFirst()
                        .orElse(null);
            }
            if (group != null
                    && StopScript.send(client, capsuleId, word, Duration.ZERO, group)
                            .sent()) {
                return true;
            }
        } catch (WrennApiException e) {
            if (e.kind() != WrennApiException.Kind.NOT_FOUND) {
                throw ApiFailures.of(client, capsuleId, credentialsName, e);
            }
        }
        // Nothing to signal: the process or the capsule is gone; only the second is a failure.
        ApiFailures.checkRunning(client, capsuleId, credentialsName);
        return false;
    }

    /** SIGTERM, then SIGKILL after the grace period, to the process's group; for processes a build leaves behind. */
    public void stop(String capsuleId, long pid, OutputStream log) {
        LogOutput output = new LogOutput(log, List.of(apiKey), false, StderrMarker.NONE);
        new RemoteStop(client, killGrace).stop(capsuleId, pid, output::note);
    }

    /** A process started without a gate, still through {@code gate.sh} (with none): for its process group. */
    private BackgroundProcess launch(BackgroundSpec spec) throws ExecutionFailure, InterruptedException {
        try {
            return client.commands()
                    .startBackground(
                            spec.capsuleId(),
                            ExecRequest.background(
                                    "/bin/sh",
                                    GatedProcess.gated(null, "", spec.command()),
                                    spec.tag(),
                                    GatedProcess.forScripts(spec.envs()),
                                    spec.cwd()));
        } catch (WrennApiException e) {
            throw ApiFailures.of(client, spec.capsuleId(), spec.credentialsName(), e);
        }
    }

    private boolean awaitReady(BackgroundSpec spec, BackgroundProcess p, ReadinessWatch watch, ProcessStream stream)
            throws ExecutionFailure, InterruptedException {
        try {
            CompletableFuture.anyOf(watch.seen(), stream.exitCode())
                    .get(spec.waitTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new ExecutionFailure(
                    ExecutionFailure.Reason.TIMED_OUT,
                    Messages.Failure_NotReady(
                            Long.toString(p.pid()),
                            spec.waitFor(),
                            Long.toString(spec.waitTimeout().toSeconds())),
                    null);
        } catch (ExecutionException e) {
            // The stream ended without an exit code; decided below.
        }
        if (watch.seen().isDone()) {
            return true;
        }
        Integer code = stream.exitCode().getNow(null);
        if (!stream.exitCode().isCompletedExceptionally() && code != null) {
            throw new ExecutionFailure(
                    ExecutionFailure.Reason.EXITED_BEFORE_READY,
                    Messages.Failure_ExitedBeforeReady(Long.toString(p.pid()), Integer.toString(code), spec.waitFor()),
                    null);
        }
        throw new ExecutionFailure(
                ExecutionFailure.Reason.CONNECTION_LOST,
                Messages.Failure_LostBeforeReady(Long.toString(p.pid()), spec.waitFor()),
                null);
    }

    /**
     * Passes output to the log and completes {@link #seen()} once the text has appeared, also when
     * it arrives split across chunks.
     */
    private static final class ReadinessWatch implements StreamListener {
        private final LogOutput output;
        private final String text;
        private final CompletableFuture<Void> seen = new CompletableFuture<>();
        private final StringBuilder tail = new StringBuilder();

        ReadinessWatch(LogOutput output, String text) {
            this.output = output;
            this.text = text;
        }

        CompletableFuture<Void> seen() {
            return seen;
        }

        @Override
        public void onStdout(String data) {
            output.onStdout(data);
            scan(data);
        }

        @Override
        public void onStderr(String data) {
            output.onStderr(data);
            scan(data);
        }

        private synchronized void scan(String data) {
            if (seen.isDone()) {
                return;
            }
            tail.append(data);
            if (tail.indexOf(text) >= 0) {
                seen.complete(null);
                return;
            }
            int keep = Math.min(tail.length(), text.length() - 1);
            tail.delete(0, tail.length() - keep);
        }
    }
}
