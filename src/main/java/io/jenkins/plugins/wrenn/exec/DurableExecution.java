package io.jenkins.plugins.wrenn.exec;

import io.jenkins.plugins.wrenn.api.ExecRequest;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs commands durably in capsules: each command's output and exit status are also kept in
 * control files in the capsule, so that a cut stream or a fresh engine (after a controller
 * restart) continues from the bytes already logged, with nothing lost and nothing repeated. See
 * {@link DurableRun} for one run and {@code docs/durability.md} for the design.
 *
 * <p>One engine serves any number of runs through one client: a waiting run holds no thread.
 * Stream events arrive on each stream's own delivery thread (a virtual thread, see
 * {@link io.jenkins.plugins.wrenn.api.StreamListener}); anything that sends a request runs on a
 * virtual thread; timers (capsule checks, pings, timeouts) share one platform thread.
 */
public final class DurableExecution implements AutoCloseable {

    private static final Logger LOGGER = Logger.getLogger(DurableExecution.class.getName());

    /** How long a process gets after SIGTERM before SIGKILL, unless the caller chooses otherwise. */
    public static final Duration DEFAULT_KILL_GRACE = Duration.ofSeconds(5);

    /**
     * How long a command runs before its run looks at its capsule. Shorter commands never cost
     * that request; a stream that has not started by then learns why from it.
     */
    static final Duration CAPSULE_CHECK_DELAY = Duration.ofMillis(500);

    /** How long after SIGKILL a stop still waits for the command's processes to go, unless a test chooses otherwise. */
    static final Duration DEFAULT_KILL_WAIT = Duration.ofSeconds(5);

    /**
     * What a whole stop may take beyond its grace period and its wait after SIGKILL: its requests,
     * the wait for a pid not yet reported, and the wait for the wrapper.
     */
    static final Duration STOP_SLACK = Duration.ofSeconds(10);

    /** How long finished runs' control files wait for a later run in the same capsule to remove them. */
    static final Duration CLEANUP_DELAY = Duration.ofSeconds(2);

    final WrennClient client;
    final String apiKey;
    final Duration killGrace;
    final Duration killWait;
    final Duration stopDeadline;
    final Duration pingInterval;
    final StderrMarker stderrMarker;
    final ScheduledExecutorService timer;

    /**
     * How many streams the engine opens at once. A thousand steps started together (a large
     * {@code parallel}) would otherwise connect all at once, and connections beyond what the
     * server accepts at a time fail with a connect timeout; queued here, each waits its turn.
     */
    static final int MAX_OPENING = 32;

    private final Semaphore opening = new Semaphore(MAX_OPENING);

    /** Control files of finished runs, by capsule, not yet removed. */
    private final Map<String, List<String>> leftovers = new ConcurrentHashMap<>();

    /** The capsules whose control files wait for a removal already scheduled. */
    private final Set<String> cleanups = ConcurrentHashMap.newKeySet();

    /** Runs not finished, and removals scheduled or under way: while any, the engine is in use. */
    private final AtomicInteger busy = new AtomicInteger();

    /** {@link System#nanoTime()} of the moment {@link #busy} last fell to none. */
    private volatile long idleSince = System.nanoTime();

    /** Set when the Jenkins that runs this engine shuts down: see {@link #detach()}. */
    private volatile boolean detached;

    /**
     * @param client the API client; the engine does not close it
     * @param apiKey the key the client uses, masked in all output
     * @param killGrace how long a process gets after SIGTERM before SIGKILL
     * @param pingInterval how often to ping the capsule while a command runs; null to derive it
     *     from the capsule's idle timeout
     * @param stderrMarker what to write before each chunk of standard error
     */
    public DurableExecution(
            WrennClient client, String apiKey, Duration killGrace, Duration pingInterval, StderrMarker stderrMarker) {
        this(
                client,
                apiKey,
                killGrace,
                DEFAULT_KILL_WAIT,
                killGrace.plus(DEFAULT_KILL_WAIT).plus(STOP_SLACK),
                pingInterval,
                stderrMarker);
    }

    /**
     * An engine whose stops are timed as given (tests use shorter waits than Jenkins).
     *
     * @param killWait how long after SIGKILL a stop still waits for the command's processes to go
     * @param stopDeadline how long a whole stop may take: then it ends, saying that it could not
     *     confirm the stop, whatever the server still does
     */
    DurableExecution(
            WrennClient client,
            String apiKey,
            Duration killGrace,
            Duration killWait,
            Duration stopDeadline,
            Duration pingInterval,
            StderrMarker stderrMarker) {
        this.client = client;
        this.apiKey = apiKey;
        this.killGrace = killGrace;
        this.killWait = killWait;
        this.stopDeadline = stopDeadline;
        this.pingInterval = pingInterval;
        this.stderrMarker = stderrMarker;
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, "Wrenn durable run timer");
            thread.setDaemon(true);
            return thread;
        });
        t.setRemoveOnCancelPolicy(true);
        this.timer = t;
    }

    /**
     * Starts a command. Returns at once; the run's {@link DurableRun#outcome()} completes when the
     * command has ended and all its output is in the log.
     *
     * @param onState called whenever the run's {@link RunState} changes in a way worth saving (its
     *     pid became known, or output advanced after a while); may be null
     */
    public DurableRun start(ExecutionSpec spec, OutputStream log, Consumer<RunState> onState) {
        DurableRun run = counted(DurableRun.starting(this, spec, log, onState));
        Thread.ofVirtual().name("Wrenn start in " + spec.capsuleId()).start(() -> run.begin(spec));
        return run;
    }

    /**
     * Finds a run again from its saved state, e.g. after a controller restart, and continues its
     * output from the saved offsets. A run whose command ended meanwhile still delivers its
     * remaining output and its exit code.
     */
    public DurableRun resume(RunState state, OutputStream log, Consumer<RunState> onState) {
        DurableRun run = counted(DurableRun.resuming(this, state, log, onState));
        Thread.ofVirtual().name("Wrenn resume in " + state.capsuleId()).start(run::resumeNow);
        return run;
    }

    /** Opens a stream (or starts a process) once fewer than {@link #MAX_OPENING} others are opening. */
    <T> T opening(Opening<T> open) throws WrennApiException, ExecutionFailure, InterruptedException {
        opening.acquire();
        try {
            return open.call();
        } finally {
            opening.release();
        }
    }

    /**
     * Starts opening a stream once fewer than {@link #MAX_OPENING} others are opening, without
     * waiting for it to open; the turn is held until it has.
     */
    <T> CompletableFuture<T> openingAsync(Supplier<CompletableFuture<T>> open) throws InterruptedException {
        opening.acquire();
        CompletableFuture<T> opened;
        try {
            opened = open.get();
        } catch (RuntimeException e) {
            opening.release();
            throw e;
        }
        opened.whenComplete((s, e) -> opening.release());
        return opened;
    }

    /** Something that opens a stream. */
    @FunctionalInterface
    interface Opening<T> {
        T call() throws WrennApiException, ExecutionFailure, InterruptedException;
    }

    /**
     * Stops the command of a run that nobody follows any more (its build is gone, e.g. a freestyle
     * build that a controller restart ended): SIGTERM, then SIGKILL after the grace period.
     */
    public CompletableFuture<DurableRun.StopResult> stopLeftOver(RunState state) {
        return counted(DurableRun.resuming(this, state, OutputStream.nullOutputStream(), null))
                .stop();
    }

    /** Counts the run as using the engine until its outcome is complete (after a stop's end, too). */
    private DurableRun counted(DurableRun run) {
        busy.incrementAndGet();
        run.outcome().whenComplete((o, e) -> done());
        return run;
    }

    private void done() {
        if (busy.decrementAndGet() == 0) {
            idleSince = System.nanoTime();
        }
    }

    /**
     * Whether the engine has had no run and nothing to remove for at least this long, so that it
     * can be closed without anyone noticing.
     */
    boolean idleFor(Duration time) {
        return busy.get() == 0 && leftovers.isEmpty() && System.nanoTime() - idleSince >= time.toNanos();
    }

    /** Runs the task once after the delay; null when the engine is closed. */
    ScheduledFuture<?> schedule(Runnable task, Duration delay) {
        try {
            return timer.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    /** Runs the task now and then at this interval; null when the engine is closed. */
    ScheduledFuture<?> scheduleEvery(Runnable task, Duration interval) {
        try {
            return timer.scheduleAtFixedRate(task, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    /**
     * How many finished runs' control files a new run removes at once: removing costs the new
     * run's wrapper one {@code rm}, so it is done for a batch, not for every run.
     */
    static final int REMOVE_BATCH = 16;

    /** Control files that a new run in this capsule should remove: a full batch, or none. */
    List<String> takeLeftovers(String capsuleId) {
        List<String> taken = new ArrayList<>();
        leftovers.computeIfPresent(capsuleId, (k, list) -> {
            if (list.size() < REMOVE_BATCH) {
                return list;
            }
            taken.addAll(list);
            return null;
        });
        return taken;
    }

    private List<String> takeAllLeftovers(String capsuleId) {
        List<String> taken = leftovers.remove(capsuleId);
        return taken == null ? List.of() : taken;
    }

    /**
     * Queues a finished run's control files for removal. A run starting in the capsule removes a
     * full batch as it starts, which costs no request; the rest are removed by one request at most
     * every {@link #CLEANUP_DELAY}.
     */
    void removeLater(String capsuleId, String controlPrefix) {
        if (detached) {
            return;
        }
        leftovers.compute(capsuleId, (k, list) -> {
            List<String> l = list == null ? new ArrayList<>() : list;
            l.add(controlPrefix);
            return l;
        });
        if (!cleanups.add(capsuleId)) {
            // A removal is scheduled already and takes this one along.
            return;
        }
        busy.incrementAndGet();
        ScheduledFuture<?> scheduled = schedule(
                () -> Thread.ofVirtual().start(() -> {
                    // First: a run that ends while these are removed schedules a removal of its own.
                    cleanups.remove(capsuleId);
                    try {
                        removeNow(capsuleId);
                    } finally {
                        done();
                    }
                }),
                CLEANUP_DELAY);
        if (scheduled == null) {
            // The engine is closed: nothing will run.
            cleanups.remove(capsuleId);
            done();
        }
    }

    /** Removes every queued control file of the capsule now, with one request. */
    void removeNow(String capsuleId) {
        if (detached) {
            return;
        }
        List<String> prefixes = takeAllLeftovers(capsuleId);
        if (prefixes.isEmpty()) {
            return;
        }
        List<String> args = new ArrayList<>(List.of("-c", CapsuleScripts.REMOVE, "wrenn-remove"));
        args.addAll(prefixes);
        try {
            client.commands().run(capsuleId, ExecRequest.foreground("/bin/sh", args, 30));
        } catch (WrennApiException e) {
            LOGGER.log(Level.FINE, "Could not remove the control files of finished runs in " + capsuleId, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Lets go of every run without ending it, for a Jenkins that shuts down: the runs write no more
     * output, complete no outcome, stop nothing and remove no control file, so that the next
     * Jenkins (which resumes them from their saved state) finds each command and its files as
     * they are. Stops the timer and cuts the streams.
     */
    public void detach() {
        detached = true;
        timer.shutdownNow();
        client.close();
    }

    /** Whether {@link #detach()} was called: a run then does nothing more. */
    boolean detached() {
        return detached;
    }

    /**
     * Removes the control files still queued (one request per capsule) and stops the timer. Runs
     * still going on are not stopped.
     */
    @Override
    public void close() {
        for (String capsuleId : List.copyOf(leftovers.keySet())) {
            removeNow(capsuleId);
        }
        timer.shutdownNow();
    }
}
