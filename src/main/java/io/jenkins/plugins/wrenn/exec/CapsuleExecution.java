package io.jenkins.plugins.wrenn.exec;

import io.jenkins.plugins.wrenn.api.ProcessStream;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs one command in a capsule and writes its output to a log as it arrives.
 *
 * <p><b>How envs and cwd reach the command.</b> The streaming WebSocket, the only way to see output
 * live, takes no environment and no working directory; the API takes those only for background
 * processes. Environment variables often carry secrets, and the capsule's process list shows every
 * process's arguments to anyone holding a key of the team, so their values must never be
 * arguments. A command with envs is therefore started as a background process with its envs (and
 * cwd) set by the server, behind a {@link GatedProcess gate} that opens once the engine is
 * attached: no output is missed and the exit code arrives on the attach. A command with only a
 * cwd needs no secret kept and costs one request: it is started over the stream as
 * {@code /bin/sh -c 'cd -- "$1" && exec ...'} with the directory passed as an argument, never
 * spliced into the script, so no quoting can go wrong.
 *
 * <p>The command starts as soon as the stream is open: the server itself refuses a missing or
 * paused capsule on the stream, and those refusals read the same as over HTTP. A command still
 * running after {@link #CAPSULE_CHECK_DELAY} gets one GET of its capsule. Its idle timeout sets how
 * often the engine pings the capsule while the command runs, so the server does not pause it; and
 * when the stream has not even started by then, the GET names the reason (a server that waits for
 * a browser-style auth message keeps a stream silent) and the run ends with it. Short commands cost no extra request, which
 * keeps many short steps close to the cost of bare API calls.
 *
 * <p>If the stream is cut while the process lives, the engine re-attaches by pid. It never reports
 * an exit code it has not seen. On a timeout or an interrupt (a Jenkins abort) it stops the remote
 * process: SIGTERM, then SIGKILL after a grace period.
 */
public final class CapsuleExecution {

    /** The shell script that changes to the directory in $1, then replaces itself with the command. */
    static final String LAUNCHER = "cd -- \"$1\" || exit 125; shift; exec \"$@\"";

    private static final int MAX_REATTACH = 5;

    /**
     * How long a command runs before the engine looks at its capsule. Shorter commands never cost
     * that request; a stream that has not started by then learns why from it.
     */
    static final Duration CAPSULE_CHECK_DELAY = Duration.ofMillis(500);

    /** Answers of the capsule check that mean the command cannot have started. */
    private static final Set<ExecutionFailure.Reason> REFUSALS = EnumSet.of(
            ExecutionFailure.Reason.CAPSULE_NOT_FOUND,
            ExecutionFailure.Reason.INVALID_CAPSULE_ID,
            ExecutionFailure.Reason.CAPSULE_NOT_RUNNING,
            ExecutionFailure.Reason.AUTHENTICATION_FAILED,
            ExecutionFailure.Reason.FORBIDDEN);

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
        LogOutput output = new LogOutput(log, List.of(apiKey), spec.captureStdout(), stderrMarker);
        output.note(Messages.Note_Running(spec.command().display(), spec.capsuleId()));
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual()
                .name("Wrenn capsule check and pings " + spec.capsuleId())
                .factory());
        ProcessStream stream = null;
        try {
            long startedAt = System.nanoTime();
            stream = start(spec, output);
            boolean attached = !spec.envs().isEmpty();
            AtomicReference<ExecutionFailure> refusal = new AtomicReference<>();
            ProcessStream first = stream;
            timer.schedule(
                    () -> checkCapsule(spec, first, output, timer, startedAt, refusal),
                    CAPSULE_CHECK_DELAY.toMillis(),
                    TimeUnit.MILLISECONDS);
            long deadline = spec.timeout() == null
                    ? Long.MAX_VALUE
                    : System.nanoTime() + spec.timeout().toNanos();
            int reattached = 0;
            while (true) {
                try {
                    int code = waitForExit(stream, deadline);
                    output.finish();
                    return new ExecOutcome(code, output.captured());
                } catch (TimeoutException e) {
                    output.note(
                            Messages.Note_TimedOut(Long.toString(spec.timeout().toSeconds())));
                    stopProcess(spec.capsuleId(), output.pid(), stream, output);
                    output.finish();
                    throw new ExecutionFailure(
                            ExecutionFailure.Reason.TIMED_OUT,
                            Messages.Failure_TimedOut(
                                    Long.toString(spec.timeout().toSeconds()), spec.capsuleId()),
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
                    if (refusal.get() != null) {
                        output.finishQuietly();
                        throw refusal.get();
                    }
                    if (streamBroke(api, attached) && output.pid() > 0 && reattached < MAX_REATTACH) {
                        stream = reattach(spec, output, api);
                        attached = true;
                        reattached++;
                        continue;
                    }
                    output.finishQuietly();
                    throw api.kind() == WrennApiException.Kind.CONNECTION_LOST
                            ? ApiFailures.lostWhileRunning(spec.capsuleId(), api)
                            : ApiFailures.of(client, spec.capsuleId(), spec.credentialsName(), api);
                }
            }
        } finally {
            timer.shutdownNow();
            if (stream != null) {
                stream.close();
            }
        }
    }

    /**
     * Whether the stream ended while the process may live on: a cut connection, or an attach
     * that the server ended because it could not reach the process (which the process list then
     * settles).
     */
    private static boolean streamBroke(WrennApiException failure, boolean attached) {
        return failure.kind() == WrennApiException.Kind.CONNECTION_LOST
                || (attached && WrennApiException.PROCESS_NOT_FOUND.equals(failure.errorCode()));
    }

    /** The command as the stream starts it when it has no envs: as it is, or behind a {@code cd}. */
    static Command launched(ExecutionSpec spec) {
        if (spec.cwd() == null) {
            return spec.command();
        }
        List<String> args = new ArrayList<>(List.of("-c", LAUNCHER, "wrenn-exec", spec.cwd()));
        args.add(spec.command().program());
        args.addAll(spec.command().args());
        return new Command("/bin/sh", args);
    }

    private ProcessStream start(ExecutionSpec spec, LogOutput output) throws ExecutionFailure, InterruptedException {
        if (!spec.envs().isEmpty()) {
            return startGated(spec, output);
        }
        Command command = launched(spec);
        try {
            return client.commands().stream(spec.capsuleId(), command.program(), command.args(), output);
        } catch (WrennApiException e) {
            throw ApiFailures.of(client, spec.capsuleId(), spec.credentialsName(), e);
        }
    }

    /** Starts a command with envs behind a gate, attaches, then lets it run. */
    private ProcessStream startGated(ExecutionSpec spec, LogOutput output)
            throws ExecutionFailure, InterruptedException {
        GatedProcess gated = GatedProcess.launch(
                client, spec.capsuleId(), spec.command(), spec.envs(), spec.cwd(), null, spec.credentialsName());
        long pid = gated.process().pid();
        output.onStart(pid);
        ProcessStream stream = null;
        boolean opened = false;
        try {
            stream = gated.attach(output);
            gated.open();
            opened = true;
            return stream;
        } finally {
            if (!opened) {
                if (stream != null) {
                    stream.close();
                }
                new RemoteStop(client, killGrace).stop(spec.capsuleId(), pid, () -> false, output::note);
            }
        }
    }

    /**
     * The delayed look at the capsule, on the run's timer. It starts the pings; and when the
     * capsule check says the command cannot run while the stream has still not started (a
     * server waiting for an auth message stays silent), it records why and closes the stream, so that the run
     * ends with that reason. A check that fails for another reason leaves the stream to speak.
     */
    private void checkCapsule(
            ExecutionSpec spec,
            ProcessStream stream,
            LogOutput output,
            ScheduledExecutorService timer,
            long startedAt,
            AtomicReference<ExecutionFailure> refusal) {
        Integer idleTimeoutSec;
        try {
            idleTimeoutSec = ApiFailures.checkRunning(client, spec.capsuleId(), spec.credentialsName())
                    .timeoutSec();
        } catch (ExecutionFailure e) {
            if (output.pid() <= 0 && REFUSALS.contains(e.reason())) {
                refusal.set(e);
                stream.close();
                return;
            }
            idleTimeoutSec = null;
        } catch (InterruptedException e) {
            return;
        }
        schedulePings(timer, spec.capsuleId(), idleTimeoutSec, startedAt);
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
            alive = client.processes().list(spec.capsuleId()).stream().anyMatch(p -> p.pid() == pid);
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
            return client.processes().attach(spec.capsuleId(), Long.toString(pid), output);
        } catch (WrennApiException e) {
            throw ApiFailures.of(client, spec.capsuleId(), spec.credentialsName(), e);
        }
    }

    /**
     * Pings from the command's start on: a third of the capsule's idle timeout (1 s to 60 s), every
     * second when the timeout could not be read, every minute when the capsule has none.
     */
    private void schedulePings(
            ScheduledExecutorService timer, String capsuleId, Integer idleTimeoutSec, long startedAt) {
        Duration every;
        if (pingInterval != null) {
            every = pingInterval;
        } else if (idleTimeoutSec == null) {
            every = Duration.ofSeconds(1);
        } else {
            every = Duration.ofSeconds(idleTimeoutSec <= 0 ? 60 : Math.max(1, Math.min(60, idleTimeoutSec / 3)));
        }
        long firstIn = Math.max(0, every.toNanos() - (System.nanoTime() - startedAt));
        timer.scheduleAtFixedRate(
                () -> {
                    try {
                        client.capsules().ping(capsuleId);
                    } catch (WrennApiException e) {
                        // A missed ping is retried at the next tick; the command's own stream reports real trouble.
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                },
                firstIn,
                every.toNanos(),
                TimeUnit.NANOSECONDS);
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
