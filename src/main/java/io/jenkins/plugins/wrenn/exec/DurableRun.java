package io.jenkins.plugins.wrenn.exec;

import io.jenkins.plugins.wrenn.api.ExecRequest;
import io.jenkins.plugins.wrenn.api.ExecResult;
import io.jenkins.plugins.wrenn.api.ProcessInfo;
import io.jenkins.plugins.wrenn.api.ProcessStream;
import io.jenkins.plugins.wrenn.api.Signal;
import io.jenkins.plugins.wrenn.api.StreamListener;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One command run durably (see {@link DurableExecution}).
 *
 * <p><b>In the capsule.</b> The command runs under a small {@code /bin/sh} wrapper that copies its
 * standard output and error both to the wrapper's own (the live stream) and to files
 * {@code <prefix>.out} and {@code <prefix>.err}, records the command's pid, and writes its exit
 * status to {@code <prefix>.status} once all output is in the files. A SIGTERM to the wrapper is
 * passed on to the command. The wrapper dies of the command's signal when the command did, so the
 * server reports a signal death as usual.
 *
 * <p><b>Here.</b> The engine counts the bytes of each stream that reached the log. When the live
 * stream is cut, or a fresh engine resumes, a follower started in the capsule prints each file from
 * its offset on as it grows, until the status file exists (or the wrapper is gone); one more
 * request then reads the status and removes the files. A run that ended normally leaves its files
 * to be removed by the next run in the capsule or shortly after ({@link DurableExecution#removeLater}).
 */
public final class DurableRun {

    /** How a stop ended. */
    public enum StopResult {
        /** The process is gone. */
        GONE,
        /** No confirmation that the process is gone came within the bounded wait. */
        UNCONFIRMED
    }

    /** Follows in a row without any progress before the run gives up. */
    private static final int MAX_FOLLOWS = 5;

    /** How often at most a run reports advancing output as a state worth saving. */
    private static final Duration SAVE_EVERY = Duration.ofSeconds(10);

    /**
     * The gate of a run started behind one ({@code envs} or {@code cwd}), next to its control
     * files: a follower after a controller restart can open it (see {@code follower.sh}).
     */
    static final String GATE_SUFFIX = ".gate";

    /**
     * How long a stop waits for the wrapper to end by itself once its command is gone: it only
     * writes the status then (a process that is no wrapper, a run recorded before a crash, is
     * killed after it).
     */
    private static final Duration WRAPPER_WAIT = Duration.ofSeconds(2);

    private static final Set<ExecutionFailure.Reason> REFUSALS = EnumSet.of(
            ExecutionFailure.Reason.CAPSULE_NOT_FOUND,
            ExecutionFailure.Reason.INVALID_CAPSULE_ID,
            ExecutionFailure.Reason.CAPSULE_NOT_RUNNING,
            ExecutionFailure.Reason.AUTHENTICATION_FAILED,
            ExecutionFailure.Reason.FORBIDDEN);

    private static final SecureRandom RANDOM = new SecureRandom();

    private static final Logger LOGGER = Logger.getLogger(DurableRun.class.getName());

    private final DurableExecution engine;
    private final WrennClient client;
    private final LogOutput output;
    private final Consumer<RunState> onState;
    private final CompletableFuture<ExecOutcome> outcome = new CompletableFuture<>();
    /**
     * Whether an earlier controller started the command (a resumed run): its pid then comes only
     * from the capsule's process list, never from a start message.
     */
    private final boolean startedBefore;
    /**
     * Guards {@link #sink}, and is held by a sink for each message it takes: once
     * {@link #disownSink()} returns, no message of the sink it replaced is being written. A lock,
     * not a monitor: a virtual thread that blocks on a slow log inside a monitor pins its carrier
     * thread on Java 21.
     */
    private final ReentrantLock sinks = new ReentrantLock();
    /** Where the current stream attempt writes; the only one whose messages still count. */
    private Sink sink;

    private volatile RunState state;
    private volatile ProcessStream stream;
    /** The stream being opened without a thread waiting for it, until it has opened. */
    private volatile CompletableFuture<ProcessStream> opening;

    private volatile boolean following;
    private volatile boolean stopping;
    /**
     * A gated start's process: completes with the wrapper's pid once the capsule reported it, or
     * with 0 when nothing was started; null for a run started over a stream.
     */
    private volatile CompletableFuture<Long> launch;
    /** Whether the command may run already: its stream's start went out, or its gate was opened. */
    private volatile boolean mayRun;
    /** Whether the stop found the start still unanswered, and left its process to the start to stop. */
    private volatile boolean withheld;

    private volatile CompletableFuture<StopResult> stopped;
    private volatile ExecutionFailure refusal;
    private volatile ScheduledFuture<?> pings;
    private volatile ScheduledFuture<?> deadline;
    private volatile ScheduledFuture<?> check;
    private volatile long lastSaved = System.nanoTime();
    private int followsWithoutProgress;
    private long offsetsAtFollow = -1;

    private DurableRun(
            DurableExecution engine,
            RunState state,
            OutputStream log,
            Consumer<RunState> onState,
            boolean startedBefore) {
        this.engine = engine;
        this.startedBefore = startedBefore;
        this.client = engine.client;
        this.state = state;
        this.onState = onState == null ? s -> {} : onState;
        this.output = new LogOutput(log, List.of(engine.apiKey), state.captureStdout(), engine.stderrMarker);
        outcome.whenComplete((o, e) -> cancelTimers());
    }

    static DurableRun starting(DurableExecution engine, ExecutionSpec spec, OutputStream log, Consumer<RunState> s) {
        // A bare name: the scripts find it in the capsule's temporary directory (TMPDIR, else /tmp).
        String prefix = ".wrenn-run-" + HexFormat.of().toHexDigits(RANDOM.nextLong());
        long deadlineAt = spec.timeout() == null
                ? 0
                : System.currentTimeMillis() + spec.timeout().toMillis();
        RunState state = new RunState(
                spec.capsuleId(),
                prefix,
                -1,
                0,
                0,
                spec.credentialsName(),
                spec.captureStdout(),
                deadlineAt,
                spec.timeout() == null ? 0 : spec.timeout().toSeconds());
        return new DurableRun(engine, state, log, s, false);
    }

    static DurableRun resuming(DurableExecution engine, RunState saved, OutputStream log, Consumer<RunState> s) {
        // Captured standard output lived in the old engine's memory: read it again from the start.
        RunState state = saved.captureStdout() ? saved.withOffsets(0, saved.stderrOffset()) : saved;
        return new DurableRun(engine, state, log, s, true);
    }

    /** Completes with the exit code once all output is in the log; exceptionally with an {@link ExecutionFailure}. */
    public CompletableFuture<ExecOutcome> outcome() {
        return outcome;
    }

    /** The state to save to find this run again. */
    public RunState state() {
        return state;
    }

    /** What the run is doing, for diagnostics. */
    public String status() {
        RunState s = state;
        if (outcome.isDone()) {
            return "finished";
        }
        if (stopping) {
            return "stopping process " + s.pid() + " in capsule " + s.capsuleId();
        }
        String what = following ? "following the output files of process " : "streaming the output of process ";
        return what + s.pid() + " in capsule " + s.capsuleId() + " (at byte " + s.stdoutOffset() + " of stdout, "
                + s.stderrOffset() + " of stderr)";
    }

    // ---------------------------------------------------------------- starting and resuming

    void begin(ExecutionSpec spec) {
        try {
            output.note(Messages.Note_Running(spec.command().display(), spec.capsuleId()));
            List<String> leftovers = engine.takeLeftovers(spec.capsuleId());
            List<String> args = new ArrayList<>(List.of(
                    "-c",
                    CapsuleScripts.WRAPPER,
                    "wrenn-run",
                    state.controlPrefix(),
                    Integer.toString(leftovers.size())));
            args.addAll(leftovers);
            Command wrapper = new Command("/bin/sh", args);
            args = new ArrayList<>(args);
            args.add(spec.command().program());
            args.addAll(spec.command().args());
            Command wrapped = new Command("/bin/sh", args);
            if (spec.envs().isEmpty() && spec.cwd() == null) {
                // Nothing waits for the stream: this thread ends here, and the stream's events
                // continue the run on the client's thread.
                engine.openingAsync(() -> {
                            if (stopping) {
                                // Stopped while waiting for its turn: start nothing.
                                return CompletableFuture.<ProcessStream>failedFuture(
                                        new CancellationException("stopped before its stream opened"));
                            }
                            CompletableFuture<ProcessStream> o = client.commands()
                                    .streamAsync(spec.capsuleId(), wrapped.program(), wrapped.args(), newSink(false));
                            opening = o;
                            return o;
                        })
                        .whenComplete((opened, failure) -> {
                            if (failure == null) {
                                open(opened);
                            } else {
                                openFailed(failure);
                            }
                        });
                // Only now, so that the timer's wake-up overlaps the connection instead of delaying it.
                scheduleCheck();
                scheduleDeadline();
            } else {
                CompletableFuture<Long> launched = new CompletableFuture<>();
                launch = launched;
                scheduleCheck();
                scheduleDeadline();
                try {
                    engine.opening(() -> {
                        startGated(spec, wrapper, launched);
                        return null;
                    });
                } finally {
                    // Nothing was started when it failed before the capsule said a pid.
                    launched.complete(0L);
                }
            }
        } catch (WrennApiException e) {
            fail(ApiFailures.of(client, state.capsuleId(), state.credentialsName(), e));
        } catch (ExecutionFailure e) {
            fail(e);
        } catch (InterruptedException e) {
            fail(unexpected(e));
        } catch (RuntimeException e) {
            fail(unexpected(e));
        }
    }

    private void openFailed(Throwable failure) {
        if (stopping) {
            // The stop gave the opening up, or ends the run itself: its ending is the run's.
            return;
        }
        Throwable cause = unwrap(failure);
        if (cause instanceof WrennApiException api) {
            fail(ApiFailures.of(client, state.capsuleId(), state.credentialsName(), api));
        } else {
            fail(unexpected(cause));
        }
    }

    /**
     * A command with envs or a cwd: started in the background, its wrapper at once and the command
     * behind a gate, then attached. The wrapper is the background process (its pid the run's). The
     * gate opens only if no stop came and the run has not failed meanwhile (the decision and a
     * stop's start are mutually exclusive); else it stays shut and the process is killed.
     */
    private void startGated(ExecutionSpec spec, Command wrapper, CompletableFuture<Long> launched)
            throws ExecutionFailure, InterruptedException {
        if (stopping || outcome.isDone()) {
            // Stopped, or failed, while waiting for its turn: start nothing.
            return;
        }
        GatedProcess gated = GatedProcess.launch(
                client,
                spec.capsuleId(),
                wrapper,
                spec.command(),
                spec.envs(),
                spec.cwd(),
                null,
                state.controlPrefix() + GATE_SUFFIX,
                spec.credentialsName(),
                late -> killUnopened());
        Sink live = newSink(false);
        live.onStart(gated.process().pid());
        launched.complete(gated.process().pid());
        boolean opened = false;
        try {
            if (gateMayOpen()) {
                open(gated.attach(live));
                if (letRun()) {
                    gated.open();
                    opened = true;
                }
            }
        } finally {
            if (!opened && !mayRun) {
                ProcessStream s = stream;
                if (s != null) {
                    s.close();
                }
                killUnopened();
            } else if (!opened) {
                // The gate may be open: stopped as any started command.
                stopCommand(spec.capsuleId(), gated.process().pid());
            }
        }
    }

    /** Whether the gate may open: no stop has begun, and the run has not ended. */
    private synchronized boolean gateMayOpen() {
        return !stopping && !outcome.isDone() && refusal == null;
    }

    /**
     * Decides, under the lock a refusal takes, that the gate opens: from here on a refusal leaves
     * the run to its stream, and a stop treats the command as started.
     */
    private synchronized boolean letRun() {
        if (!gateMayOpen()) {
            return false;
        }
        mayRun = true;
        return true;
    }

    /**
     * Kills a gated start whose gate never opened: its command never ran, so SIGKILL at once (to
     * the shell waiting at the gate; the wrapper then ends by itself). Says nothing in the log: the
     * stop or the failure that kept the gate shut has said what happened.
     */
    private void killUnopened() {
        try {
            StopScript.send(client, state.capsuleId(), "KILL", engine.killWait, state.controlPrefix());
        } catch (WrennApiException | InterruptedException e) {
            LOGGER.log(
                    Level.WARNING,
                    "Could not stop the process of a command that never started in capsule " + state.capsuleId()
                            + "; it waits at its gate, " + state.controlPrefix() + GATE_SUFFIX,
                    e);
        }
        engine.removeLater(state.capsuleId(), state.controlPrefix());
    }

    void resumeNow() {
        RunState s = state;
        if (s.pid() <= 0) {
            // The controller restarted before the capsule said the pid: the wrapper is found by
            // its control prefix; not listed, it has ended (or never started), and the files say which.
            long pid;
            try {
                pid = wrapperByControlPrefix(s.capsuleId(), engine.killGrace);
            } catch (InterruptedException e) {
                fail(unexpected(e));
                return;
            }
            if (stopping || outcome.isDone()) {
                // Stopped meanwhile: the stop looks for the wrapper itself, and nothing is resumed.
                return;
            }
            if (pid < 0) {
                fail(new ExecutionFailure(
                        ExecutionFailure.Reason.CONNECTION_LOST, Messages.Failure_PidUnknown(s.capsuleId()), null));
                return;
            }
            state = state.withPid(pid);
            if (pid > 0 && !engine.detached()) {
                onState.accept(state);
            }
        }
        s = state;
        if (s.pid() > 0) {
            output.note(Messages.Note_Resuming(
                    Long.toString(s.pid()),
                    s.capsuleId(),
                    Long.toString(s.stdoutOffset()),
                    Long.toString(s.stderrOffset())));
        } else {
            output.note(Messages.Note_ResumingUnlisted(
                    s.capsuleId(), Long.toString(s.stdoutOffset()), Long.toString(s.stderrOffset())));
        }
        scheduleCheck();
        scheduleDeadline();
        follow(true);
    }

    private void open(ProcessStream opened) {
        stream = opened;
        if (stopping || outcome.isDone()) {
            // Stopped, or failed by the capsule check, while it opened: nobody would read it.
            opened.close();
            return;
        }
        opened.exitCode().whenComplete((code, failure) -> ended(opened, code, failure));
    }

    // ---------------------------------------------------------------- the end of a stream

    private void ended(ProcessStream which, Integer code, Throwable failure) {
        if (which != stream || outcome.isDone() || engine.detached()) {
            return;
        }
        if (stopping) {
            return;
        }
        if (code != null) {
            if (following || code == ExecOutcome.KILLED_BY_SIGNAL) {
                // The wrapper exits with the command's status; -1 means that it was killed itself,
                // and its files may still say how the command ended.
                boolean live = !following;
                Thread.ofVirtual().name("Wrenn finish in " + state.capsuleId()).start(() -> finishFromFiles(live));
            } else {
                engine.removeLater(state.capsuleId(), state.controlPrefix());
                succeed(code);
            }
            return;
        }
        Throwable cause = unwrap(failure);
        if (refusal != null) {
            fail(refusal);
            return;
        }
        if (cause instanceof UncheckedIOException logFailure) {
            stop(unexpected(logFailure.getCause()));
            return;
        }
        if (!(cause instanceof WrennApiException api)) {
            fail(unexpected(cause));
            return;
        }
        long progress = state.stdoutOffset() + state.stderrOffset();
        if (progress != offsetsAtFollow) {
            followsWithoutProgress = 0;
        }
        boolean broke = api.kind() == WrennApiException.Kind.CONNECTION_LOST
                || WrennApiException.PROCESS_NOT_FOUND.equals(api.errorCode());
        if (broke && state.pid() > 0 && followsWithoutProgress < MAX_FOLLOWS) {
            followsWithoutProgress++;
            // Before the offsets are read: whatever the stream still hands over counts no more.
            disownSink();
            which.close();
            RunState s = state;
            offsetsAtFollow = s.stdoutOffset() + s.stderrOffset();
            if (!WrennApiException.LAST_MESSAGE_LOST.equals(api.errorCode())) {
                // (The server ended that stream as usual, and the client dropped its last messages:
                // nothing to tell the user; the follower reads them from the files.)
                output.note(Messages.Note_Continuing(
                        api.serverMessage(),
                        Long.toString(s.pid()),
                        Long.toString(s.stdoutOffset()),
                        Long.toString(s.stderrOffset())));
            }
            Thread.ofVirtual().name("Wrenn follow in " + s.capsuleId()).start(() -> follow(false));
            return;
        }
        fail(
                api.kind() == WrennApiException.Kind.CONNECTION_LOST
                        ? ApiFailures.lostWhileRunning(state.capsuleId(), api)
                        : ApiFailures.of(client, state.capsuleId(), state.credentialsName(), api));
    }

    /**
     * Starts the follower from the current offsets; its output continues the log.
     *
     * @param resumed after a controller restart: a gate the restart left shut is opened first (the
     *     command was meant to run, and its output is in the files whenever it starts)
     */
    private void follow(boolean resumed) {
        if (stopping || outcome.isDone()) {
            // Nothing more is read of a stopped or ended run, and a gate it left shut stays shut.
            return;
        }
        following = true;
        // Disowns the previous attempt first: the offsets read below are final for it.
        Sink follower = newSink(true);
        RunState s = state;
        List<String> args = new ArrayList<>(List.of(
                "-c",
                CapsuleScripts.FOLLOWER,
                "wrenn-follow",
                s.controlPrefix(),
                Long.toString(Math.max(0, s.pid())),
                Long.toString(s.stdoutOffset()),
                Long.toString(s.stderrOffset())));
        if (resumed) {
            args.add("open");
        }
        try {
            open(engine.opening(() -> client.commands().stream(s.capsuleId(), "/bin/sh", args, follower)));
        } catch (WrennApiException e) {
            if ((e.kind() == WrennApiException.Kind.CONNECTION_LOST
                            || e.kind() == WrennApiException.Kind.CONNECTION_FAILED)
                    && followsWithoutProgress < MAX_FOLLOWS) {
                followsWithoutProgress++;
                engine.schedule(() -> Thread.ofVirtual().start(() -> follow(resumed)), Duration.ofSeconds(1));
                return;
            }
            fail(ApiFailures.of(client, s.capsuleId(), s.credentialsName(), e));
        } catch (ExecutionFailure e) {
            fail(e);
        } catch (InterruptedException | RuntimeException e) {
            fail(unexpected(e));
        }
    }

    /**
     * After the follower, or a live stream whose wrapper was killed: reads the exit status the
     * wrapper left and removes the control files. Without a status, what of the command may still
     * run (the wrapper was killed from outside, or never started it) is stopped first, while its
     * control files still say what to look for: no command runs on unseen.
     *
     * @param live whether the live stream ended the run: without a status the command was then killed
     *     with its wrapper, as the server's -1 says; after a follower no status is a failure
     */
    private void finishFromFiles(boolean live) {
        RunState s = state;
        try {
            ExecResult r = client.commands()
                    .run(
                            s.capsuleId(),
                            ExecRequest.foreground(
                                    "/bin/sh",
                                    List.of("-c", CapsuleScripts.FINISH, "wrenn-finish", s.controlPrefix()),
                                    30));
            String status = r.stdout().strip();
            if (!status.isEmpty()) {
                // The command's status as sh reports it: its own 0..255, 128+n for a death by signal n.
                succeed(Integer.parseInt(status));
                return;
            }
            StopScript.Found left = stopLeftovers(s);
            engine.removeLater(s.capsuleId(), s.controlPrefix());
            if (live) {
                succeed(ExecOutcome.KILLED_BY_SIGNAL);
                return;
            }
            fail(new ExecutionFailure(
                    ExecutionFailure.Reason.CONNECTION_LOST,
                    left == StopScript.Found.NEVER
                            ? Messages.Failure_NeverStarted(s.capsuleId())
                            : Messages.Failure_NoExitStatus(s.capsuleId(), Long.toString(s.pid())),
                    null));
        } catch (WrennApiException e) {
            fail(ApiFailures.of(client, s.capsuleId(), s.credentialsName(), e));
        } catch (NumberFormatException | InterruptedException e) {
            fail(unexpected(e));
        }
    }

    /**
     * Stops whatever of a run that left no status still runs (SIGTERM, then SIGKILL after the grace
     * period), and keeps a command that has not started from ever starting.
     */
    private StopScript.Found stopLeftovers(RunState s) throws WrennApiException, InterruptedException {
        StopScript.Found found = StopScript.send(client, s.capsuleId(), "TERM", engine.killGrace, s.controlPrefix())
                .found();
        if (found == StopScript.Found.RUNNING) {
            found = StopScript.send(client, s.capsuleId(), "KILL", engine.killWait, s.controlPrefix())
                    .found();
        }
        return found;
    }

    private void succeed(int code) {
        if (engine.detached()) {
            return;
        }
        // The log ends here: nothing a stream still hands over may follow its last line.
        disownSink();
        try {
            output.finish();
            outcome.complete(new ExecOutcome(code, output.captured()));
        } catch (IOException | UncheckedIOException e) {
            outcome.completeExceptionally(unexpected(e));
        }
    }

    private void fail(ExecutionFailure failure) {
        if (outcome.isDone() || engine.detached()) {
            return;
        }
        disownSink();
        output.finishQuietly();
        ProcessStream s = stream;
        if (s != null) {
            s.close();
        }
        outcome.completeExceptionally(failure);
    }

    private static ExecutionFailure unexpected(Throwable cause) {
        return new ExecutionFailure(ExecutionFailure.Reason.UNEXPECTED, Messages.Failure_Unexpected(cause), cause);
    }

    // ---------------------------------------------------------------- stopping

    /**
     * Stops the remote command: SIGTERM to the command and everything it started, then SIGKILL to
     * them and the wrapper once the grace period is over. Completes when the process is gone, or after a
     * bounded wait, saying which, and writes that to the log. The run's {@link #outcome()} then
     * completes with a {@link CancellationException}. Calling it again returns the same stop.
     */
    public CompletableFuture<StopResult> stop() {
        if (!stopping && !outcome.isDone()) {
            output.note(Messages.Note_Aborted());
        }
        return stop(new CancellationException("stopped"));
    }

    /** Stops the command; the run's outcome then completes with {@code ending}. */
    private synchronized CompletableFuture<StopResult> stop(Throwable ending) {
        if (stopped != null) {
            return stopped;
        }
        if (engine.detached()) {
            // Jenkins is shutting down: the command is left for the next Jenkins to find again.
            return CompletableFuture.completedFuture(StopResult.UNCONFIRMED);
        }
        if (outcome.isDone()) {
            // The command has ended and its run with it: nothing left to stop.
            stopped = CompletableFuture.completedFuture(StopResult.GONE);
            return stopped;
        }
        stopping = true;
        cancelTimers();
        CompletableFuture<StopResult> result = new CompletableFuture<>();
        stopped = result;
        // One deadline for the whole stop, whatever its requests meet (a slow or silent server):
        // then its thread is interrupted, which cuts the request under way, and the stop ends.
        Object ending0 = new Object();
        boolean[] over = new boolean[1];
        Thread stopper = Thread.ofVirtual().unstarted(() -> {
            StopResult r = StopResult.UNCONFIRMED;
            try {
                r = stopNow();
            } catch (InterruptedException e) {
                // The deadline passed: not confirmed.
            } finally {
                synchronized (ending0) {
                    over[0] = true;
                }
                // Cleared after the deadline can no longer interrupt: the notes below must be written.
                Thread.interrupted();
                disownSink();
                ProcessStream s = stream;
                if (s != null) {
                    s.close();
                }
                output.note(stopNote(r));
                output.finishQuietly();
                engine.removeLater(state.capsuleId(), state.controlPrefix());
                result.complete(r);
                outcome.completeExceptionally(ending);
            }
        });
        stopper.setName("Wrenn stop in " + state.capsuleId());
        ScheduledFuture<?> cut = engine.schedule(
                () -> {
                    synchronized (ending0) {
                        if (!over[0]) {
                            stopper.interrupt();
                        }
                    }
                },
                engine.stopDeadline);
        result.whenComplete((r, e) -> {
            if (cut != null) {
                cut.cancel(false);
            }
        });
        stopper.start();
        return result;
    }

    /** What the log says of a stop: the process by its pid, or the command when none was seen. */
    private String stopNote(StopResult r) {
        String pid = Long.toString(state.pid());
        boolean known = state.pid() > 0;
        if (r == StopResult.GONE) {
            if (withheld) {
                return Messages.Note_StartWithheld();
            }
            return known ? Messages.Note_StoppedConfirmed(pid) : Messages.Note_NothingStarted();
        }
        return known
                ? Messages.Note_StopUnconfirmed(
                        pid, Messages.Note_NoAnswerWithin(Long.toString(engine.stopDeadline.toSeconds())))
                : Messages.Note_StartUnconfirmed();
    }

    private StopResult stopNow() throws InterruptedException {
        String capsuleId = state.capsuleId();
        CompletableFuture<Long> launched = launch;
        if (state.pid() <= 0 && launched != null) {
            // A gated start: its gate stays shut now, and the start kills its process itself.
            long pid = awaitLaunch(launched);
            if (pid == 0) {
                return StopResult.GONE;
            }
            if (pid < 0) {
                // Its start is unanswered still: stopped now if the capsule lists it already; if not,
                // the start stops it once the capsule answers. Either way the command never runs.
                pid = wrapperByControlPrefix(capsuleId, engine.killGrace);
                if (pid <= 0) {
                    withheld = true;
                    return StopResult.GONE;
                }
                state = state.withPid(pid);
            }
            return stopCommand(capsuleId, pid);
        }
        long pid = state.pid() > 0 ? state.pid() : startedBefore ? -1 : output.awaitPid(engine.killGrace);
        if (pid <= 0) {
            // No process was reported. A stream still opening is given up, which before its
            // start goes out starts nothing.
            CompletableFuture<ProcessStream> o = opening;
            if (!startedBefore && (o == null || o.cancel(true) || o.isCompletedExceptionally())) {
                return StopResult.GONE;
            }
            // Too late for that: the start went out, and its pid has not come back; or an earlier
            // controller started it, and the resume has not found its wrapper yet.
            pid = wrapperByControlPrefix(capsuleId, engine.killGrace);
            if (pid <= 0) {
                // Not listed is gone; never listed (the API unreachable) confirms nothing.
                return pid == 0 ? StopResult.GONE : StopResult.UNCONFIRMED;
            }
            state = state.withPid(pid);
        }
        return stopCommand(capsuleId, pid);
    }

    /** The pid a gated start's capsule reported, 0 when nothing started, -1 when it has not answered within the grace period. */
    private long awaitLaunch(CompletableFuture<Long> launched) throws InterruptedException {
        try {
            return launched.get(engine.killGrace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return 0;
        } catch (TimeoutException e) {
            return -1;
        }
    }

    /**
     * Stops the command of the wrapper with this pid: SIGTERM to the command and every process that
     * carries its {@code WRENN_RUN}, then SIGKILL once the grace period is over (both through
     * {@code stop.sh}, which also keeps a command that has not started from starting); then waits for
     * the wrapper, which ends by itself once it has reported the command's status, and kills it only
     * when it does not.
     */
    private StopResult stopCommand(String capsuleId, long wrapperPid) throws InterruptedException {
        String pid = Long.toString(wrapperPid);
        boolean commandGone =
                stopCommandOnly(capsuleId, "TERM", engine.killGrace, pid).settled();
        if (!commandGone) {
            output.note(Messages.Note_SigkillAfterGrace(pid, Long.toString(engine.killGrace.toSeconds())));
            commandGone =
                    stopCommandOnly(capsuleId, "KILL", engine.killWait, pid).settled();
        }
        if (commandGone && awaitGone(capsuleId, wrapperPid, WRAPPER_WAIT)) {
            return StopResult.GONE;
        }
        // The wrapper lingers: its command would not go, or a process that is not the command's (it
        // cleared its environment) holds its output, or it is no wrapper at all.
        if (signal(capsuleId, wrapperPid, Signal.SIGKILL)) {
            commandGone &= awaitGone(capsuleId, wrapperPid, WRAPPER_WAIT);
        }
        return commandGone ? StopResult.GONE : StopResult.UNCONFIRMED;
    }

    /** Signals this run's command and all it started; says in the log when the capsule refused. */
    private StopScript.Found stopCommandOnly(String capsuleId, String signal, Duration wait, String pid)
            throws InterruptedException {
        try {
            return StopScript.send(client, capsuleId, signal, wait, state.controlPrefix())
                    .found();
        } catch (WrennApiException e) {
            output.note(Messages.Note_SignalFailed("SIG" + signal, pid, e.getMessage()));
            return StopScript.Found.UNKNOWN;
        }
    }

    /**
     * The pid of this run's wrapper, the one process whose arguments hold its control prefix, as
     * soon as the capsule lists it; 0 when it is not listed within the wait (it never started, or
     * has ended); -1 when no listing came back within the wait, so nothing is known.
     */
    private long wrapperByControlPrefix(String capsuleId, Duration wait) throws InterruptedException {
        long until = System.nanoTime() + wait.toNanos();
        boolean listed = false;
        do {
            try {
                for (ProcessInfo p : client.processes().list(capsuleId)) {
                    if (isWrapper(p)) {
                        return p.pid();
                    }
                }
                listed = true;
            } catch (WrennApiException e) {
                // Asked again until the wait is over.
            }
            Thread.sleep(100);
        } while (System.nanoTime() < until);
        return listed ? 0 : -1;
    }

    /**
     * Whether the listed process is this run's wrapper: {@code wrenn-run} and the control prefix
     * follow each other in its arguments, which a follower's or a stop's never have.
     */
    private boolean isWrapper(ProcessInfo p) {
        List<String> args = p.args();
        for (int i = 0; i + 1 < args.size(); i++) {
            if (args.get(i).equals("wrenn-run") && args.get(i + 1).equals(state.controlPrefix())) {
                return true;
            }
        }
        return false;
    }

    /** Sends a signal to the wrapper; false when it had already ended. */
    private boolean signal(String capsuleId, long pid, Signal signal) throws InterruptedException {
        try {
            client.processes().kill(capsuleId, Long.toString(pid), signal);
            return true;
        } catch (WrennApiException e) {
            if (e.kind() == WrennApiException.Kind.NOT_FOUND) {
                return false;
            }
            output.note(Messages.Note_SignalFailed(signal.name(), Long.toString(pid), e.getMessage()));
            return true;
        }
    }

    private boolean awaitGone(String capsuleId, long pid, Duration wait) throws InterruptedException {
        long until = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < until) {
            ProcessStream s = stream;
            if (!following
                    && s != null
                    && s.exitCode().isDone()
                    && !s.exitCode().isCompletedExceptionally()) {
                return true;
            }
            try {
                if (client.processes().list(capsuleId).stream().noneMatch(p -> p.pid() == pid)) {
                    return true;
                }
            } catch (WrennApiException e) {
                // Keep waiting; the next step follows at the deadline either way.
            }
            Thread.sleep(100);
        }
        return false;
    }

    // ---------------------------------------------------------------- timers

    /** The delayed look at the capsule: its idle timeout sets the pings; a refusal ends a silent stream. */
    private void scheduleCheck() {
        check = engine.schedule(
                () -> Thread.ofVirtual().start(this::checkCapsule), DurableExecution.CAPSULE_CHECK_DELAY);
        cancelIfEnded();
    }

    /** A run can end before its timers are set (a refused stream): they must not outlive it. */
    private void cancelIfEnded() {
        if (outcome.isDone()) {
            cancelTimers();
        }
    }

    private void checkCapsule() {
        if (outcome.isDone() || stopping) {
            return;
        }
        Integer idleTimeoutSec;
        try {
            idleTimeoutSec = ApiFailures.checkRunning(client, state.capsuleId(), state.credentialsName())
                    .timeoutSec();
        } catch (ExecutionFailure e) {
            if (REFUSALS.contains(e.reason()) && refuse(e)) {
                return;
            }
            idleTimeoutSec = null;
        } catch (InterruptedException e) {
            return;
        }
        Duration every;
        if (engine.pingInterval != null) {
            every = engine.pingInterval;
        } else if (idleTimeoutSec == null) {
            every = Duration.ofSeconds(1);
        } else {
            every = Duration.ofSeconds(idleTimeoutSec <= 0 ? 60 : Math.max(1, Math.min(60, idleTimeoutSec / 3)));
        }
        if (outcome.isDone() || stopping) {
            return;
        }
        pings = engine.scheduleEvery(() -> Thread.ofVirtual().start(this::ping), every);
        if (outcome.isDone() || stopping) {
            // The run ended while the pings were being set up; cancelTimers() may have missed them.
            cancelTimers();
        }
    }

    /**
     * Ends a run whose command has not been let run yet with the capsule's refusal; false when it
     * may run already (its stream then reports what the capsule does to it). Decided under the same
     * lock as a gate's opening.
     */
    private synchronized boolean refuse(ExecutionFailure e) {
        if (mayRun || state.pid() > 0 && launch == null) {
            return false;
        }
        refusal = e;
        ProcessStream s = stream;
        if (s != null) {
            s.close();
        } else {
            fail(e);
            CompletableFuture<ProcessStream> o = opening;
            if (o != null) {
                // Before its start went out, the opening is given up; after, open() closes it.
                o.cancel(true);
            }
        }
        return true;
    }

    private void ping() {
        try {
            client.capsules().ping(state.capsuleId());
        } catch (WrennApiException e) {
            // A missed ping is retried at the next tick; the command's own stream reports real trouble.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void scheduleDeadline() {
        long at = state.deadlineEpochMillis();
        if (at <= 0) {
            return;
        }
        long in = Math.max(0, at - System.currentTimeMillis());
        deadline = engine.schedule(this::timedOut, Duration.ofMillis(in));
        cancelIfEnded();
    }

    private void timedOut() {
        if (outcome.isDone() || stopping) {
            return;
        }
        String seconds = Long.toString(state.timeoutSeconds());
        output.note(Messages.Note_TimedOut(seconds));
        ExecutionFailure failure = new ExecutionFailure(
                ExecutionFailure.Reason.TIMED_OUT, Messages.Failure_TimedOut(seconds, state.capsuleId()), null);
        stop(failure);
    }

    private void cancelTimers() {
        for (ScheduledFuture<?> f : new ScheduledFuture<?>[] {check, pings, deadline}) {
            if (f != null) {
                f.cancel(false);
            }
        }
    }

    /** The current stream attempt's sink; tests hand a replaced one a late message through it. */
    StreamListener currentSink() {
        sinks.lock();
        try {
            return sink;
        } finally {
            sinks.unlock();
        }
    }

    /** A sink for a new stream attempt; the one before it is disowned first. */
    private Sink newSink(boolean follower) {
        sinks.lock();
        try {
            if (sink != null) {
                sink.owned = false;
            }
            sink = new Sink(follower);
            return sink;
        } finally {
            sinks.unlock();
        }
    }

    /**
     * Disowns the current attempt's sink, waiting for a message it is writing: from now on nothing
     * that attempt is handed reaches the log or the offsets.
     */
    private void disownSink() {
        sinks.lock();
        try {
            if (sink != null) {
                sink.owned = false;
            }
        } finally {
            sinks.unlock();
        }
    }

    /**
     * Where one stream attempt (the live stream, or one follower) writes: the log, and the offsets a
     * follower goes on from. A stream that has been replaced (lost to a keep-alive timeout while a
     * message was on its way, or given up for a follower) may still hand over a message; its sink
     * was disowned before the next attempt read the offsets, so that message is dropped, and the
     * next attempt reads it again from the files: nothing is written twice, and the offsets count
     * only what is in the log.
     */
    private final class Sink implements StreamListener {

        private final boolean follower;
        /** Guarded by {@link #sinks}. */
        private boolean owned = true;

        Sink(boolean follower) {
            this.follower = follower;
        }

        @Override
        public void onStart(long pid) {
            if (follower) {
                // The follower's own pid: the run's process is the wrapper.
                return;
            }
            sinks.lock();
            try {
                if (!owned || state.pid() > 0 || engine.detached()) {
                    return;
                }
                state = state.withPid(pid);
                output.onStart(pid);
                onState.accept(state);
            } finally {
                sinks.unlock();
            }
        }

        @Override
        public void onStdout(String data) {
            sinks.lock();
            try {
                // Jenkins going away: the next one continues from the offsets saved so far.
                if (owned && !engine.detached()) {
                    output.onStdout(data);
                    advanced(utf8Length(data), 0);
                }
            } finally {
                sinks.unlock();
            }
        }

        @Override
        public void onStderr(String data) {
            sinks.lock();
            try {
                if (owned && !engine.detached()) {
                    output.onStderr(data);
                    advanced(0, utf8Length(data));
                }
            } finally {
                sinks.unlock();
            }
        }

        private void advanced(long out, long err) {
            RunState s = state;
            state = s.withOffsets(s.stdoutOffset() + out, s.stderrOffset() + err);
            long now = System.nanoTime();
            if (now - lastSaved > SAVE_EVERY.toNanos()) {
                lastSaved = now;
                onState.accept(state);
            }
        }
    }

    /**
     * How many bytes {@code data.getBytes(UTF_8)} would have, without making them: this runs for
     * every message.
     */
    static long utf8Length(String data) {
        int length = data.length();
        long bytes = length;
        for (int i = 0; i < length; i++) {
            char c = data.charAt(i);
            if (c < 0x80) {
                continue;
            }
            if (c < 0x800) {
                bytes += 1;
            } else if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(data.charAt(i + 1))) {
                // A pair: two chars, four bytes.
                bytes += 2;
                i++;
            } else if (!Character.isSurrogate(c)) {
                bytes += 2;
            }
            // A lone surrogate is encoded as '?': one byte, already counted.
        }
        return bytes;
    }

    /** The failure inside a {@link CompletionException}, or the throwable itself. */
    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }
}
