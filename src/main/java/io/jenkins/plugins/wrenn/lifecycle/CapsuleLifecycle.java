package io.jenkins.plugins.wrenn.lifecycle;

import io.jenkins.plugins.wrenn.api.Capsule;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.exec.ApiFailures;
import io.jenkins.plugins.wrenn.usage.CapsuleUsage;
import io.jenkins.plugins.wrenn.usage.UsageMeter;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/**
 * Gets a build its capsule and gives it back: creates one (or takes an existing one, resuming it
 * if asked), waits a bounded time until it is running with its progress in the log, and at the
 * end reads what it cost and destroys, pauses or keeps it. A capsule this engine created and that
 * then fails to become running is destroyed before the failure is reported; a failed destroy is
 * retried and then reported, never dropped. A create, once sent, is seen through even when the
 * build is stopped meanwhile, so that its capsule can be destroyed.
 */
public final class CapsuleLifecycle {

    /**
     * Polls often at first, when a capsule usually comes up, so that a build does not wait much
     * longer than the capsule takes; then once a second.
     */
    private static final Duration FAST_POLL_FOR = Duration.ofSeconds(5);

    private static final Duration SLOW_POLL = Duration.ofSeconds(1);

    /** A line while the status does not change, so that a long wait does not look like a hang. */
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(15);

    /** The longest pause between two tries of a create the service has no room for. */
    private static final Duration MAX_CAPACITY_BACKOFF = Duration.ofSeconds(30);

    /** How long a kept capsule may take to be paused. */
    private static final Duration PAUSE_WAIT = Duration.ofMinutes(2);

    /** The interval between status reads in the first seconds of a wait. */
    public static final Duration DEFAULT_POLL = Duration.ofMillis(100);

    private final WrennClient client;
    private final String credentialsName;
    private final Duration poll;
    private final Duration retryDelay;
    private final int attempts;
    private final boolean measureUsage;

    /**
     * @param credentialsName the credentials id, for messages; null names "the API key"
     * @param poll interval between status reads in the first seconds of a wait
     * @param retryDelay pause before the second attempt to destroy or pause, and before the second
     *     try of a create the service had no room for; doubled after that
     * @param attempts attempts to destroy or pause before the failure is reported
     */
    public CapsuleLifecycle(
            WrennClient client, String credentialsName, Duration poll, Duration retryDelay, int attempts) {
        this(client, credentialsName, poll, retryDelay, attempts, true);
    }

    private CapsuleLifecycle(
            WrennClient client,
            String credentialsName,
            Duration poll,
            Duration retryDelay,
            int attempts,
            boolean measureUsage) {
        this.client = client;
        this.credentialsName = credentialsName;
        this.poll = poll;
        this.retryDelay = retryDelay;
        this.attempts = attempts;
        this.measureUsage = measureUsage;
    }

    /** Polls every 100 ms at first; three attempts to destroy, 2 s then 4 s apart. */
    public static CapsuleLifecycle withDefaults(WrennClient client, String credentialsName) {
        return new CapsuleLifecycle(client, credentialsName, DEFAULT_POLL, Duration.ofSeconds(2), 3);
    }

    /** The same lifecycle without the read of what a capsule cost (the benchmark's reference). */
    public CapsuleLifecycle withoutUsage() {
        return new CapsuleLifecycle(client, credentialsName, poll, retryDelay, attempts, false);
    }

    /**
     * Gets the capsule the options ask for, running, keeping no records.
     *
     * @throws CapsuleFailure when it cannot be had; a capsule created here is destroyed first
     * @throws InterruptedException when the build is aborted; a capsule created here is destroyed first
     */
    public CapsuleLease acquire(CapsuleOptions options, PrintStream log) throws CapsuleFailure, InterruptedException {
        return acquire(options, CapsuleRecords.NONE, log, lease -> {});
    }

    /**
     * As {@link #acquire(CapsuleOptions, PrintStream)}, reports a capsule it creates to {@code
     * records} (before the create is sent, and as it goes), and tells {@code known} of the
     * capsule as soon as it is known, before the wait for it to run: a caller that may be cut off
     * during that wait (a controller restart) can then still give it back.
     */
    public CapsuleLease acquire(
            CapsuleOptions options, CapsuleRecords records, PrintStream log, Consumer<CapsuleLease> known)
            throws CapsuleFailure, InterruptedException {
        String problem = options.problem();
        if (problem != null) {
            throw new CapsuleFailure(problem, null);
        }
        return options.existing() ? useExisting(options, log, known) : create(options, records, log, known);
    }

    private CapsuleLease create(
            CapsuleOptions options, CapsuleRecords records, PrintStream log, Consumer<CapsuleLease> known)
            throws CapsuleFailure, InterruptedException {
        note(log, Messages.Note_Creating(describe(options)));
        long started = System.nanoTime();
        try {
            records.creating();
        } catch (IOException e) {
            throw new CapsuleFailure(Messages.Failure_NotRecorded(e.getMessage()), e);
        }
        Capsule capsule = createWhenThereIsRoom(options, records, started, log);
        CapsuleLease lease =
                new CapsuleLease(capsule.id(), true, options.keep(), false, capsule.vcpus(), capsule.memoryMb());
        boolean running = false;
        try {
            known.accept(lease);
            note(log, Messages.Note_Created(capsule.id(), capsule.status()));
            awaitRunning(capsule, options.waitTimeout(), started, true, log);
            running = true;
            return lease.runningSince(Instant.now());
        } finally {
            if (!running) {
                // Also on an abort: the capsule must not outlive the build that asked for it.
                destroyQuietly(lease.capsuleId(), records, log);
            }
        }
    }

    /**
     * Creates the capsule, trying again while the service says it has no room for it (503, or the
     * team's plan limits: 402) until the wait runs out; then fails naming the limit.
     */
    private Capsule createWhenThereIsRoom(CapsuleOptions options, CapsuleRecords records, long started, PrintStream log)
            throws CapsuleFailure, InterruptedException {
        long deadline = started + options.waitTimeout().toNanos();
        Duration backoff = retryDelay;
        String lastLimit = null;
        while (true) {
            try {
                return createSeenThrough(options, records, log);
            } catch (WrennApiException e) {
                String limit = roomRefusal(e);
                long now = System.nanoTime();
                if (limit == null || now - deadline >= 0) {
                    if (e.httpStatus() > 0) {
                        records.notCreated();
                    }
                    throw limit == null
                            ? createFailure(options, e)
                            : new CapsuleFailure(
                                    withRequestId(
                                            Messages.Failure_NoRoomInTime(seconds(options.waitTimeout()), limit), e),
                                    e);
                }
                if (!limit.equals(lastLimit)) {
                    note(log, Messages.Note_WaitingForRoom(limit, seconds(options.waitTimeout())));
                    lastLimit = limit;
                }
                try {
                    Thread.sleep(Math.max(1, Math.min(backoff.toMillis(), (deadline - now) / 1_000_000)));
                } catch (InterruptedException stop) {
                    records.notCreated();
                    throw stop;
                }
                backoff = backoff.multipliedBy(2);
                if (backoff.compareTo(MAX_CAPACITY_BACKOFF) > 0) {
                    backoff = MAX_CAPACITY_BACKOFF;
                }
            }
        }
    }

    /**
     * One create call. A stop (interrupt) while it is under way does not cut it: the server may
     * be creating the capsule already, and only the answer says which one. The call is bounded by
     * the client's request timeout; a capsule it answers with is then destroyed, and the stop
     * goes on.
     */
    private Capsule createSeenThrough(CapsuleOptions options, CapsuleRecords records, PrintStream log)
            throws WrennApiException, InterruptedException, CapsuleFailure {
        CompletableFuture<Capsule> call = client.capsules().createAsync(options.spec(records.labels()));
        boolean stopped = false;
        Capsule capsule;
        while (true) {
            try {
                capsule = call.get();
                break;
            } catch (InterruptedException e) {
                if (!stopped) {
                    stopped = true;
                    note(log, Messages.Note_CreateUnderWay());
                }
            } catch (ExecutionException e) {
                if (stopped) {
                    // Refused, or no answer in time: nothing is known to be left; the stop goes on.
                    if (refusedByServer(e.getCause())) {
                        records.notCreated();
                    }
                    throw new InterruptedException("stopped while the capsule was being created");
                }
                throw apiFailure(e.getCause());
            }
        }
        if (stopped) {
            records.created(capsule.id());
            note(log, Messages.Note_Created(capsule.id(), capsule.status()));
            destroyQuietly(capsule.id(), records, log);
            throw new InterruptedException("stopped while the capsule was being created");
        }
        records.created(capsule.id());
        return capsule;
    }

    private static boolean refusedByServer(Throwable failure) {
        Throwable t =
                failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        return t instanceof WrennApiException w && w.httpStatus() > 0;
    }

    private static WrennApiException apiFailure(Throwable failure) {
        Throwable t =
                failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (t instanceof WrennApiException w) {
            return w;
        }
        return new WrennApiException(
                WrennApiException.Kind.CONNECTION_LOST, "create capsule", null, 0, null, String.valueOf(t), t);
    }

    /**
     * The limit a refused create names, in the user's words, when it is one that passes (the
     * service's capacity, or the team's plan while its other capsules run); null otherwise.
     */
    private static String roomRefusal(WrennApiException e) {
        String said = said(e);
        if (e.httpStatus() == 402) {
            String code = e.errorCode() == null ? "" : e.errorCode();
            return switch (code) {
                case "concurrent_sandbox_limit" -> Messages.Limit_Concurrent(said);
                case "vcpu_limit" -> Messages.Limit_Vcpus(said);
                case "memory_limit" -> Messages.Limit_Memory(said);
                default -> Messages.Limit_Plan(said);
            };
        }
        if (e.httpStatus() == 503) {
            return Messages.Limit_Capacity(said);
        }
        return null;
    }

    private CapsuleLease useExisting(CapsuleOptions options, PrintStream log, Consumer<CapsuleLease> known)
            throws CapsuleFailure, InterruptedException {
        String id = options.capsule().strip();
        long started = System.nanoTime();
        Capsule capsule = get(id);
        note(log, Messages.Note_Existing(id, capsule.status()));
        if (capsule.isPaused() && !options.resume()) {
            throw new CapsuleFailure(Messages.Failure_PausedNoResume(id, capsule.status()), null);
        }
        CapsuleLease lease = new CapsuleLease(
                id, false, KeepPolicy.NEVER, options.pauseAfter(), capsule.vcpus(), capsule.memoryMb());
        known.accept(lease);
        awaitRunning(capsule, options.waitTimeout(), started, options.resume(), log);
        return lease.runningSince(Instant.now());
    }

    /**
     * Gives the capsule back as the lease says, after a body that succeeded, keeping no records.
     *
     * @throws CapsuleFailure when the destroy or pause still failed after the retries
     */
    public Released release(CapsuleLease lease, PrintStream log) throws CapsuleFailure, InterruptedException {
        return release(lease, false, CapsuleRecords.NONE, log);
    }

    /**
     * Gives the capsule back as the lease says: first reads what it cost (the server forgets a
     * destroyed capsule's metrics), then destroys a capsule the build created, or keeps it paused
     * when its keep policy says so for a body that ended this way, or pauses an existing one when
     * asked, or leaves it. Safe to call again for the same lease (after a controller restart in
     * the middle of it): a capsule already gone counts as destroyed, one already paused as paused.
     *
     * @param bodyFailed whether the body failed or was aborted
     * @throws CapsuleFailure when the destroy or pause still failed after the retries; the message
     *     says which capsule is left and how to remove it
     */
    public Released release(CapsuleLease lease, boolean bodyFailed, CapsuleRecords records, PrintStream log)
            throws CapsuleFailure, InterruptedException {
        CapsuleUsage usage = measure(lease, log);
        String id = lease.capsuleId();
        if (lease.created()) {
            if (lease.keep().keeps(bodyFailed)) {
                return keep(
                        id,
                        usage,
                        lease.keep() == KeepPolicy.ALWAYS ? Messages.Note_KeepAlways() : Messages.Note_KeepOnFailure(),
                        records,
                        log);
            }
            destroy(id, records, log);
            return new Released(id, true, usage, false, null, null);
        }
        if (lease.pauseAfter()) {
            pause(id, log);
        }
        return new Released(id, false, usage, false, null, null);
    }

    /**
     * Gives back a capsule created with {@link KeepPolicy#ON_FAILURE} whose body ended before the
     * build's result is known (an agent's, when the Pipeline goes on after its {@code node} block):
     * reads what it cost and keeps it paused, as for a failed build, so that nothing is lost if the
     * build fails later. The caller destroys it once the build has succeeded; if that never
     * happens, the kept capsule's retention ends it.
     *
     * @throws CapsuleFailure when the pause still failed after the retries
     */
    public Released keepUntilResult(CapsuleLease lease, CapsuleRecords records, PrintStream log)
            throws CapsuleFailure, InterruptedException {
        return keep(lease.capsuleId(), measure(lease, log), Messages.Note_KeepUntilResult(), records, log);
    }

    private Released keep(String id, CapsuleUsage usage, String why, CapsuleRecords records, PrintStream log)
            throws CapsuleFailure, InterruptedException {
        String status = pauseToKeep(id, log);
        Instant until = records.kept(id);
        note(
                log,
                until == null
                        ? Messages.Note_Kept(id, status, why)
                        : Messages.Note_KeptUntil(id, status, why, until.toString()));
        return new Released(id, false, usage, true, until, status);
    }

    /** Reads what the capsule cost and says so in the log; null when it is not measured. */
    private CapsuleUsage measure(CapsuleLease lease, PrintStream log) throws InterruptedException {
        Instant since = lease.runningSince();
        if (!measureUsage || since == null) {
            return null;
        }
        CapsuleUsage usage =
                UsageMeter.measure(client, lease.capsuleId(), lease.vcpus(), lease.memoryMb(), since, Instant.now());
        if (usage != null) {
            note(log, usage.describe());
        }
        return usage;
    }

    /** Pauses a capsule that is kept, so that it costs no CPU while it waits; returns the status it was left in. */
    private String pauseToKeep(String id, PrintStream log) throws CapsuleFailure, InterruptedException {
        pause(id, log);
        long started = System.nanoTime();
        long deadline = started + PAUSE_WAIT.toNanos();
        Capsule capsule = get(id);
        while (capsule.isTransitional() && System.nanoTime() - deadline < 0) {
            Thread.sleep(pauseFor(started).toMillis());
            capsule = get(id);
        }
        return capsule.status();
    }

    private void destroyQuietly(String id, CapsuleRecords records, PrintStream log) {
        boolean interrupted = Thread.interrupted();
        try {
            destroy(id, records, log);
        } catch (CapsuleFailure e) {
            log.println(e.getMessage());
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void destroy(String id, CapsuleRecords records, PrintStream log)
            throws CapsuleFailure, InterruptedException {
        WrennApiException last = null;
        Duration delay = retryDelay;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                client.capsules().destroy(id);
                note(log, Messages.Note_Destroyed(id));
                records.destroyRequested(id);
                confirmGone(id, records);
                return;
            } catch (WrennApiException e) {
                if (e.kind() == WrennApiException.Kind.NOT_FOUND) {
                    note(log, Messages.Note_AlreadyGone(id));
                    records.gone(id);
                    return;
                }
                last = e;
                if (attempt < attempts) {
                    note(log, Messages.Note_DestroyRetry(id, said(e), seconds(delay)));
                    Thread.sleep(delay.toMillis());
                    delay = delay.multipliedBy(2);
                }
            }
        }
        throw new CapsuleFailure(
                withRequestId(
                        Messages.Failure_NotDestroyed(id, Integer.toString(attempts), said(last), client.baseUrl()),
                        last),
                last);
    }

    /**
     * Records the capsule as gone when one read says so. Newer servers accept a destroy and finish
     * it later (and a destroy can stay stopping when the host fails): those are left for the next
     * sweep to confirm, rather than waited for here.
     */
    private void confirmGone(String id, CapsuleRecords records) throws InterruptedException {
        try {
            if (client.capsules().get(id).isTerminal()) {
                records.gone(id);
            }
        } catch (WrennApiException e) {
            if (e.kind() == WrennApiException.Kind.NOT_FOUND) {
                records.gone(id);
            }
        }
    }

    private void pause(String id, PrintStream log) throws CapsuleFailure, InterruptedException {
        WrennApiException last = null;
        Duration delay = retryDelay;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                client.capsules().pause(id);
                note(log, Messages.Note_Paused(id));
                return;
            } catch (WrennApiException e) {
                if (e.kind() == WrennApiException.Kind.NOT_RUNNING || e.kind() == WrennApiException.Kind.NOT_FOUND) {
                    // Already paused, stopped or gone: nothing is left running to pause.
                    note(log, Messages.Note_NothingToPause(id, said(e)));
                    return;
                }
                last = e;
                if (attempt < attempts) {
                    Thread.sleep(delay.toMillis());
                    delay = delay.multipliedBy(2);
                }
            }
        }
        throw new CapsuleFailure(
                withRequestId(Messages.Failure_NotPaused(id, Integer.toString(attempts), said(last)), last), last);
    }

    /**
     * Reads the status until it is running. Waits out every status on the way to another
     * (starting, pausing, resuming, snapshotting, stopping); resumes a paused capsule when allowed
     * (also one that paused during the wait); fails at once on a status a capsule does not leave,
     * on a paused capsule it may not resume, or at the deadline.
     */
    private void awaitRunning(Capsule first, Duration timeout, long started, boolean mayResume, PrintStream log)
            throws CapsuleFailure, InterruptedException {
        String id = first.id();
        Capsule capsule = first;
        String lastStatus = capsule.status();
        long deadline = started + timeout.toNanos();
        long lastLine = System.nanoTime();
        while (!capsule.isRunning()) {
            String status = capsule.status();
            if (capsule.isTerminal()) {
                throw new CapsuleFailure(Messages.Failure_Ended(id, status, elapsed(started)), null);
            }
            if (capsule.isPaused() && !mayResume) {
                throw new CapsuleFailure(Messages.Failure_PausedNoResume(id, status), null);
            }
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                throw new CapsuleFailure(
                        Messages.Failure_NotRunningInTime(id, seconds(timeout), String.valueOf(status)), null);
            }
            if (!String.valueOf(status).equals(String.valueOf(lastStatus))) {
                note(log, Messages.Note_Status(id, status, elapsed(started)));
                lastStatus = status;
                lastLine = now;
            } else if (now - lastLine >= PROGRESS_EVERY.toNanos()) {
                note(log, Messages.Note_StillWaiting(id, String.valueOf(status), elapsed(started), seconds(timeout)));
                lastLine = now;
            }
            if (capsule.isPaused()) {
                capsule = resume(id, log);
                continue;
            }
            Thread.sleep(Math.max(1, Math.min(pauseFor(started).toMillis(), (deadline - now) / 1_000_000 + 1)));
            capsule = get(id);
        }
        note(log, Messages.Note_Running(id, elapsed(started)));
    }

    private Duration pauseFor(long started) {
        return System.nanoTime() - started < FAST_POLL_FOR.toNanos() ? poll : SLOW_POLL;
    }

    /** Asks for a resume; when someone else resumed or paused it meanwhile (409), the status read decides. */
    private Capsule resume(String id, PrintStream log) throws CapsuleFailure, InterruptedException {
        note(log, Messages.Note_Resuming(id));
        try {
            Capsule answer = client.capsules().resume(id);
            // A first-generation server answers when the work is done; a newer one at once, with resuming.
            return answer.isPaused() ? get(id) : answer;
        } catch (WrennApiException e) {
            if (e.kind() != WrennApiException.Kind.CONFLICT && e.kind() != WrennApiException.Kind.NOT_RUNNING) {
                throw new CapsuleFailure(
                        ApiFailures.of(client, id, credentialsName, e).getMessage(), e);
            }
            Thread.sleep(poll.toMillis());
            return get(id);
        }
    }

    private Capsule get(String id) throws CapsuleFailure, InterruptedException {
        try {
            return client.capsules().get(id);
        } catch (WrennApiException e) {
            throw new CapsuleFailure(
                    ApiFailures.of(client, id, credentialsName, e).getMessage(), e);
        }
    }

    /** Create refusals in the words of what the user can change: the template, the size, or the timing. */
    private CapsuleFailure createFailure(CapsuleOptions options, WrennApiException e) {
        String said = said(e);
        String text =
                switch (e.kind()) {
                    case NOT_FOUND ->
                        Messages.Failure_TemplateNotFound(
                                options.template() == null ? Messages.Note_DefaultTemplate() : options.template(),
                                said);
                    case INVALID_REQUEST -> Messages.Failure_CreateRefused(describe(options), said);
                    case FORBIDDEN -> Messages.Failure_CreateForbidden(credentials(), said);
                    case RATE_LIMITED -> Messages.Failure_CreateRateLimited(said);
                    default -> ApiFailures.of(client, null, credentialsName, e).getMessage();
                };
        return new CapsuleFailure(withRequestId(text, e), e);
    }

    /** The message with the server's request id, which users quote to Wrenn support, unless it has it already. */
    private static String withRequestId(String text, WrennApiException e) {
        if (e == null || e.requestId() == null || text.contains(e.requestId())) {
            return text;
        }
        return text + " " + Messages.Failure_RequestId(e.requestId());
    }

    private String credentials() {
        return credentialsName == null ? Messages.Note_ApiKey() : Messages.Note_Credentials(credentialsName);
    }

    private static String describe(CapsuleOptions o) {
        StringBuilder b = new StringBuilder(
                Messages.Note_Template(o.template() == null ? Messages.Note_DefaultTemplate() : o.template()));
        if (o.vcpus() > 0) {
            b.append(", ").append(Messages.Note_Vcpus(Integer.toString(o.vcpus())));
        }
        if (o.memoryMb() > 0) {
            b.append(", ").append(Messages.Note_Memory(Integer.toString(o.memoryMb())));
        }
        if (o.timeoutSec() > 0) {
            b.append(", ").append(Messages.Note_IdleTimeout(Integer.toString(o.timeoutSec())));
        }
        return b.toString();
    }

    private static String said(WrennApiException e) {
        if (e == null) {
            return Messages.Note_NothingSaid();
        }
        String code = e.errorCode() == null ? "" : " " + e.errorCode();
        String status = e.httpStatus() > 0 ? "HTTP " + e.httpStatus() + code + ": " : "";
        String message = e.said() == null ? Messages.Note_NothingSaid() : e.said();
        return status + message;
    }

    private static String elapsed(long startedNanos) {
        return String.format(Locale.ROOT, "%.1f", (System.nanoTime() - startedNanos) / 1e9);
    }

    private static String seconds(Duration d) {
        return Long.toString(d.toSeconds());
    }

    private static void note(PrintStream log, String text) {
        log.println(Messages.Note_Prefix(text));
    }
}
