package io.jenkins.plugins.wrenn.exec;

import io.jenkins.plugins.wrenn.api.Capsule;
import io.jenkins.plugins.wrenn.api.ProcessStream;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one command in a capsule and writes its output to a log as it arrives.
 *
 * <p><b>Why envs and cwd go through a shell.</b> The streaming WebSocket, the only way to see output
 * live, takes no environment and no working directory; the API takes those only for background
 * processes. A background process plus an attach would lose the output written before the attach
 * and, for a command that finishes in a millisecond, the exit code too (attach does not replay and
 * cannot reach an exited process). So when envs or cwd are given, the command is started over the
 * stream as {@code /bin/sh -c 'cd; export; exec "$@"'} with every value passed as a separate
 * argument, never spliced into the script: the command itself still runs exactly as given, the
 * stream sees all of its output and its exit code, and no quoting can go wrong.
 *
 * <p>While the stream's handshake runs, one GET of the capsule turns "not found", "not running" and
 * a bad key into clear messages at once; the command starts only after that check passed. While the command runs, the capsule is pinged so the server does not
 * pause it. If the stream is cut while the process lives, the engine re-attaches by pid. It never
 * reports an exit code it has not seen. On a timeout or an interrupt (a Jenkins abort) it stops the
 * remote process: SIGTERM, then SIGKILL after a grace period.
 */
public final class CapsuleExecution {

    /** The shell script that applies cwd and envs, then replaces itself with the command. */
    static final String LAUNCHER = "if [ -n \"$1\" ]; then cd -- \"$1\" || exit 125; fi; shift; "
            + "while [ \"$#\" -gt 0 ] && [ \"$1\" != -- ]; do export \"$1\" || exit 125; shift; done; "
            + "shift; exec \"$@\"";

    private static final int MAX_REATTACH = 5;

    private final WrennClient client;
    private final String apiKey;
    private final Duration killGrace;
    private final Duration pingInterval;
    private final StderrMarker stderrMarker;

    /**
     * @param client the API client (its key is masked in all output)
     * @param apiKey the key the client uses, to mask it
     * @param killGrace how long a process gets after SIGTERM before SIGKILL
     * @param pingInterval how often to ping the capsule while a command runs; null to derive it
     *     from the capsule's idle timeout
     * @param stderrMarker what to write before each chunk of standard error
     */
    public CapsuleExecution(
            WrennClient client, String apiKey, Duration killGrace, Duration pingInterval, StderrMarker stderrMarker) {
        this.client = client;
        this.apiKey = apiKey;
        this.killGrace = killGrace;
        this.pingInterval = pingInterval;
        this.stderrMarker = stderrMarker;
    }

    /** How long a process gets after SIGTERM before SIGKILL, unless the caller chooses otherwise. */
    public static final Duration DEFAULT_KILL_GRACE = Duration.ofSeconds(5);

    /** An engine with the default grace period and pings derived from the capsule's idle timeout. */
    public static CapsuleExecution withDefaults(WrennClient client, String apiKey, StderrMarker stderrMarker) {
        return new CapsuleExecution(client, apiKey, DEFAULT_KILL_GRACE, null, stderrMarker);
    }

    /**
     * Runs the command to its end.
     *
     * @param log where output goes, as it arrives
     * @return the exit code (and stdout, when captured); a non-zero code is not an exception here
     * @throws ExecutionFailure when there is no exit code to report, with a message for the user
     * @throws InterruptedException when the calling thread was interrupted; the remote process has
     *     been stopped by then
     * @throws IOException when the log cannot be written
     */
    public ExecOutcome run(ExecutionSpec spec, OutputStream log)
            throws ExecutionFailure, InterruptedException, IOException {
        List<String> secrets = new ArrayList<>(spec.secrets());
        secrets.add(apiKey);
        LogOutput output = new LogOutput(log, secrets, spec.captureStdout(), stderrMarker);
        Command command = launched(spec);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofVirtual().name("Wrenn ping " + spec.capsuleId()).factory());
        ProcessStream stream = null;
        try {
            Started started = startChecked(spec, command, output);
            stream = started.stream();
            ScheduledFuture<?> pings = schedulePings(timer, spec.capsuleId(), started.capsule().timeoutSec());
            long deadline = spec.timeout() == null ? Long.MAX_VALUE : System.nanoTime() + spec.timeout().toNanos();
            int reattached = 0;
            while (true) {
                try {
                    int code = waitForExit(stream, deadline);
                    pings.cancel(false);
                    output.finish();
                    return new ExecOutcome(code, output.captured());
                } catch (TimeoutException e) {
                    output.note(Messages.Note_TimedOut(Long.toString(spec.timeout().toSeconds())));
                    stopProcess(spec.capsuleId(), output.pid(), stream, output);
                    output.finish();
                    throw new ExecutionFailure(
                            ExecutionFailure.Reason.TIMED_OUT,
                            Messages.Failure_TimedOut(Long.toString(spec.timeout().toSeconds()), spec.capsuleId()),
                            null);
                } catch (InterruptedException e) {
                    output.note(Messages.Note_Aborted());
                    stopProcess(spec.capsuleId(), output.pid(), stream, output);
                    output.finishQuietly();
                    throw e;
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof UncheckedIOException logFailure) {
                        stopProcess(spec.capsuleId(), output.pid(), stream, output);
                        throw logFailure.getCause();
                    }
                    if (!(cause instanceof WrennApiException api)) {
                        throw new ExecutionFailure(
                                ExecutionFailure.Reason.UNEXPECTED, Messages.Failure_Unexpected(cause), cause);
                    }
                    if (api.kind() == WrennApiException.Kind.CONNECTION_LOST
                            && output.pid() > 0
                            && reattached < MAX_REATTACH) {
                        stream = reattach(spec, output, api);
                        reattached++;
                        continue;
                    }
                    output.finishQuietly();
                    throw ApiFailures.of(client, spec.capsuleId(), spec.credentialsName(), api);
                }
            }
        } finally {
            timer.shutdownNow();
            if (stream != null) {
                stream.close();
            }
        }
    }


    static Command launched(ExecutionSpec spec) {
        if (spec.envs().isEmpty() && spec.cwd() == null) {
            return spec.command();
        }
        List<String> args = new ArrayList<>(List.of("-c", LAUNCHER, "wrenn-exec", spec.cwd() == null ? "" : spec.cwd()));
        for (Map.Entry<String, String> e : spec.envs().entrySet()) {
            args.add(e.getKey() + "=" + e.getValue());
        }
        args.add("--");
        args.add(spec.command().program());
        args.addAll(spec.command().args());
        return new Command("/bin/sh", args);
    }

    private record Started(ProcessStream stream, Capsule capsule) {}

    /**
     * Opens the stream while, on another thread, one GET checks the capsule; the command starts
     * only once the capsule is known to be running. The GET costs no time of its own this way, and
     * its clearer errors (not found, not running, bad key) win over the stream's.
     */
    private Started startChecked(ExecutionSpec spec, Command command, LogOutput output)
            throws ExecutionFailure, InterruptedException {
        FutureTask<Capsule> check = new FutureTask<>(
                () -> ApiFailures.checkRunning(client, spec.capsuleId(), spec.credentialsName()));
        Thread.ofVirtual().name("Wrenn capsule check " + spec.capsuleId()).start(check);
        ProcessStream stream = null;
        try {
            try {
                stream = client.openExecStream(spec.capsuleId(), output);
            } catch (WrennApiException e) {
                capsuleOf(check);
                throw ApiFailures.of(client, spec.capsuleId(), spec.credentialsName(), e);
            }
            Capsule capsule = capsuleOf(check);
            try {
                stream.start(command.program(), command.args());
            } catch (WrennApiException e) {
                throw ApiFailures.of(client, spec.capsuleId(), spec.credentialsName(), e);
            }
            return new Started(stream, capsule);
        } catch (ExecutionFailure | InterruptedException | RuntimeException e) {
            check.cancel(true);
            if (stream != null) {
                stream.close();
            }
            throw e;
        }
    }

    private static Capsule capsuleOf(FutureTask<Capsule> check) throws ExecutionFailure, InterruptedException {
        try {
            return check.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ExecutionFailure failure) {
                throw failure;
            }
            if (e.getCause() instanceof InterruptedException interrupted) {
                throw interrupted;
            }
            throw new ExecutionFailure(
                    ExecutionFailure.Reason.UNEXPECTED, Messages.Failure_Unexpected(e.getCause()), e);
        }
    }

    private int waitForExit(ProcessStream stream, long deadline)
            throws InterruptedException, ExecutionException, TimeoutException {
        if (deadline == Long.MAX_VALUE) {
            return stream.exitCode().get();
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new TimeoutException();
        }
        return stream.exitCode().get(left, TimeUnit.NANOSECONDS);
    }

    private ProcessStream reattach(ExecutionSpec spec, LogOutput output, WrennApiException lost)
            throws ExecutionFailure, InterruptedException, IOException {
        long pid = output.pid();
        boolean alive;
        try {
            alive = client.listProcesses(spec.capsuleId()).stream().anyMatch(p -> p.pid() == pid);
        } catch (WrennApiException e) {
            throw ApiFailures.of(client, spec.capsuleId(), spec.credentialsName(), e);
        }
        if (!alive) {
            output.finishQuietly();
            throw new ExecutionFailure(
                    ExecutionFailure.Reason.CONNECTION_LOST,
                    Messages.Failure_StreamCutProcessGone(Long.toString(pid), spec.capsuleId()),
                    lost);
        }
        output.note(Messages.Note_Reattaching(lost.serverMessage(), Long.toString(pid)));
        try {
            return client.attach(spec.capsuleId(), Long.toString(pid), output);
        } catch (WrennApiException e) {
            throw ApiFailures.of(client, spec.capsuleId(), spec.credentialsName(), e);
        }
    }

    private ScheduledFuture<?> schedulePings(ScheduledExecutorService timer, String capsuleId, int idleTimeoutSec) {
        Duration every = pingInterval != null
                ? pingInterval
                : Duration.ofSeconds(idleTimeoutSec <= 0 ? 60 : Math.max(1, Math.min(60, idleTimeoutSec / 3)));
        return timer.scheduleAtFixedRate(
                () -> {
                    try {
                        client.pingCapsule(capsuleId);
                    } catch (WrennApiException e) {
                        // A missed ping is retried at the next tick; the command's own stream reports real trouble.
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                },
                every.toMillis(),
                every.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Stops the remote process, waiting briefly for its pid when the stream has not sent it yet. */
    private void stopProcess(String capsuleId, long knownPid, ProcessStream stream, LogOutput output)
            throws InterruptedException {
        long pid = knownPid > 0 ? knownPid : output.awaitPid(killGrace);
        if (pid <= 0) {
            return;
        }
        new RemoteStop(client, killGrace)
                .stop(
                        capsuleId,
                        pid,
                        () -> stream != null
                                && stream.exitCode().isDone()
                                && !stream.exitCode().isCompletedExceptionally(),
                        output::note);
    }
}
