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
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Starts long-running processes in a capsule and leaves them running, and stops them later.
 *
 * <p><b>Waiting for readiness.</b> An attach sees only output written after it, and a test server
 * may print "Listening on" within milliseconds of starting. So when a start waits for a text, the
 * command is started behind a {@link GatedProcess gate} that opens only once the engine is
 * attached, so not a byte of the command's output is missed.
 */
public final class BackgroundProcesses {

    private static final Logger LOGGER = Logger.getLogger(BackgroundProcesses.class.getName());

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
                null,
                spec.credentialsName(),
                late -> stopLate(spec.capsuleId(), late));
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

    /** What a {@link #kill} found. */
    public enum Killed {
        /** The process had already ended: nothing got the signal. */
        NOT_RUNNING,
        /** The signal was sent, and the process and all its group have ended since. */
        ENDED,
        /**
         * The signal was sent, and the process or its group still runs after the grace period (it
         * ignores SIGTERM, say): it is not stopped, and whoever stops leftovers must still do so.
         */
        STILL_RUNNING
    }

    /**
     * Sends a signal to a process by pid or tag, and to every process in its process group (the
     * process and what it started), on every server generation, and waits up to the grace period
     * for them to end.
     *
     * @return whether the process had already ended, has ended since, or still runs
     */
    public Killed kill(String capsuleId, String selector, Signal signal, String credentialsName)
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
            if (group != null) {
                StopScript.Result r = StopScript.send(client, capsuleId, word, killGrace, group);
                if (r.sent()) {
                    return r.found() == StopScript.Found.GONE ? Killed.ENDED : Killed.STILL_RUNNING;
                }
            }
        } catch (WrennApiException e) {
            if (e.kind() != WrennApiException.Kind.NOT_FOUND) {
                throw ApiFailures.of(client, capsuleId, credentialsName, e);
            }
        }
        // Nothing to signal: the process or the capsule is gone; only the second is a failure.
        ApiFailures.checkRunning(client, capsuleId, credentialsName);
        return Killed.NOT_RUNNING;
    }

    /** SIGTERM, then SIGKILL after the grace period, to the process's group; for processes a build leaves behind. */
    public void stop(String capsuleId, long pid, OutputStream log) {
        LogOutput output = new LogOutput(log, List.of(apiKey), false, StderrMarker.NONE);
        new RemoteStop(client, killGrace).stop(capsuleId, pid, output::note);
    }

    /**
     * A process started without a gate, still through {@code gate.sh} (with none): for its process
     * group. An interrupt (an abort) while its start is under way does not leave it running unknown:
     * once the capsule says its pid, it is stopped.
     */
    private BackgroundProcess launch(BackgroundSpec spec) throws ExecutionFailure, InterruptedException {
        return GatedProcess.startSeenThrough(
                client,
                spec.capsuleId(),
                ExecRequest.background(
                        "/bin/sh",
                        GatedProcess.gated(null, "", spec.command()),
                        spec.tag(),
                        GatedProcess.forScripts(spec.envs()),
                        spec.cwd()),
                spec.credentialsName(),
                late -> stopLate(spec.capsuleId(), late));
    }

    /** Stops a process whose start an abort gave up on, which the capsule started all the same. */
    private void stopLate(String capsuleId, BackgroundProcess late) {
        LOGGER.log(
                Level.INFO,
                "Stopping background process {0} in capsule {1}: its start was aborted, and it started all the same",
                new Object[] {Long.toString(late.pid()), capsuleId});
        new RemoteStop(client, killGrace).stop(capsuleId, late.pid(), note -> LOGGER.info(note));
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
