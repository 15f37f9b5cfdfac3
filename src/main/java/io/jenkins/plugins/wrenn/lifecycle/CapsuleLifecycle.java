package io.jenkins.plugins.wrenn.lifecycle;

import io.jenkins.plugins.wrenn.api.Capsule;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.exec.ApiFailures;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Gets a build its capsule and gives it back: creates one (or takes an existing one, resuming it
 * if asked), waits a bounded time until it is running with its progress in the log, and at the
 * end destroys, pauses or keeps it. A capsule this engine created and that then fails to become
 * running is destroyed before the failure is reported; a failed destroy is retried and then
 * reported, never dropped.
 */
public final class CapsuleLifecycle {

    /** Statuses from which a capsule does not get to running by itself. */
    private static final Set<String> TERMINAL = Set.of("error", "stopped", "missing");

    private static final Set<String> PAUSED = Set.of("paused", "hibernated");

    /**
     * Polls often at first, when a capsule usually comes up, so that a build does not wait much
     * longer than the capsule takes; then once a second.
     */
    private static final Duration FAST_POLL_FOR = Duration.ofSeconds(5);

    private static final Duration SLOW_POLL = Duration.ofSeconds(1);

    /** A line while the status does not change, so that a long wait does not look like a hang. */
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(15);

    /** The interval between status reads in the first seconds of a wait. */
    public static final Duration DEFAULT_POLL = Duration.ofMillis(100);

    private final WrennClient client;
    private final String credentialsName;
    private final Duration poll;
    private final Duration retryDelay;
    private final int attempts;

    /**
     * @param credentialsName the credentials id, for messages; null names "the API key"
     * @param poll interval between status reads in the first seconds of a wait
     * @param retryDelay pause before the second attempt to destroy or pause; doubled after that
     * @param attempts attempts to destroy or pause before the failure is reported
     */
    public CapsuleLifecycle(
            WrennClient client, String credentialsName, Duration poll, Duration retryDelay, int attempts) {
        this.client = client;
        this.credentialsName = credentialsName;
        this.poll = poll;
        this.retryDelay = retryDelay;
        this.attempts = attempts;
    }

    /** Polls every 100 ms at first; three attempts to destroy, 2 s then 4 s apart. */
    public static CapsuleLifecycle withDefaults(WrennClient client, String credentialsName) {
        return new CapsuleLifecycle(client, credentialsName, DEFAULT_POLL, Duration.ofSeconds(2), 3);
    }

    /**
     * Gets the capsule the options ask for, running.
     *
     * @throws CapsuleFailure when it cannot be had; a capsule created here is destroyed first
     * @throws InterruptedException when the build is aborted; a capsule created here is destroyed first
     */
    public CapsuleLease acquire(CapsuleOptions options, PrintStream log) throws CapsuleFailure, InterruptedException {
        return acquire(options, log, lease -> {});
    }

    /**
     * As {@link #acquire(CapsuleOptions, PrintStream)}, and tells {@code known} of the capsule as
     * soon as it is known, before the wait for it to run: a caller that may be cut off during that
     * wait (a controller restart) can then still give it back.
     */
    public CapsuleLease acquire(CapsuleOptions options, PrintStream log, Consumer<CapsuleLease> known)
            throws CapsuleFailure, InterruptedException {
        String problem = options.problem();
        if (problem != null) {
            throw new CapsuleFailure(problem, null);
        }
        return options.existing() ? useExisting(options, log, known) : create(options, log, known);
    }

    private CapsuleLease create(CapsuleOptions options, PrintStream log, Consumer<CapsuleLease> known)
            throws CapsuleFailure, InterruptedException {
        note(log, Messages.Note_Creating(describe(options)));
        long started = System.nanoTime();
        Capsule capsule;
        try {
            capsule = client.capsules().create(options.spec());
        } catch (WrennApiException e) {
            throw createFailure(options, e);
        }
        CapsuleLease lease = new CapsuleLease(capsule.id(), true, options.keep(), false);
        boolean running = false;
        try {
            known.accept(lease);
            note(log, Messages.Note_Created(capsule.id(), capsule.status()));
            awaitRunning(capsule, options.waitTimeout(), started, log);
            running = true;
            return lease;
        } finally {
            if (!running) {
                // Also on an abort: the capsule must not outlive the build that asked for it.
                boolean interrupted = Thread.interrupted();
                try {
                    destroy(lease.capsuleId(), log);
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
        }
    }

    private CapsuleLease useExisting(CapsuleOptions options, PrintStream log, Consumer<CapsuleLease> known)
            throws CapsuleFailure, InterruptedException {
        String id = options.capsule().strip();
        long started = System.nanoTime();
        Capsule capsule = get(id);
        note(log, Messages.Note_Existing(id, capsule.status()));
        if (PAUSED.contains(capsule.status())) {
            if (!options.resume()) {
                throw new CapsuleFailure(Messages.Failure_PausedNoResume(id, capsule.status()), null);
            }
            note(log, Messages.Note_Resuming(id));
            try {
                capsule = client.capsules().resume(id);
            } catch (WrennApiException e) {
                if (e.kind() != WrennApiException.Kind.CONFLICT && e.kind() != WrennApiException.Kind.NOT_RUNNING) {
                    throw new CapsuleFailure(
                            ApiFailures.of(client, id, credentialsName, e).getMessage(), e);
                }
                // Someone else resumed or paused it meanwhile: the status read below decides.
                capsule = get(id);
            }
        }
        CapsuleLease lease = new CapsuleLease(id, false, false, options.pauseAfter());
        known.accept(lease);
        awaitRunning(capsule, options.waitTimeout(), started, log);
        return lease;
    }

    /**
     * Gives the capsule back as the lease says: destroys a capsule the build created (unless kept),
     * pauses an existing one when asked, or leaves it.
     *
     * @return whether the capsule is gone, and with it every process that ran in it
     * @throws CapsuleFailure when the destroy or pause still failed after the retries; the message
     *     says which capsule is left and how to remove it
     */
    public boolean release(CapsuleLease lease, PrintStream log) throws CapsuleFailure, InterruptedException {
        if (lease.created()) {
            if (lease.keep()) {
                note(log, Messages.Note_Kept(lease.capsuleId()));
                return false;
            }
            destroy(lease.capsuleId(), log);
            return true;
        }
        if (lease.pauseAfter()) {
            pause(lease.capsuleId(), log);
        }
        return false;
    }

    private void destroy(String id, PrintStream log) throws CapsuleFailure, InterruptedException {
        WrennApiException last = null;
        Duration delay = retryDelay;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                client.capsules().destroy(id);
                note(log, Messages.Note_Destroyed(id));
                return;
            } catch (WrennApiException e) {
                if (e.kind() == WrennApiException.Kind.NOT_FOUND) {
                    note(log, Messages.Note_AlreadyGone(id));
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

    /** Reads the status until it is running; fails on a status it cannot leave, or at the deadline. */
    private void awaitRunning(Capsule first, Duration timeout, long started, PrintStream log)
            throws CapsuleFailure, InterruptedException {
        String id = first.id();
        Capsule capsule = first;
        String lastStatus = capsule.status();
        long deadline = started + timeout.toNanos();
        long lastLine = System.nanoTime();
        while (!capsule.isRunning()) {
            String status = capsule.status();
            if (status != null && TERMINAL.contains(status.toLowerCase(Locale.ROOT))) {
                throw new CapsuleFailure(Messages.Failure_Ended(id, status, elapsed(started)), null);
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
            Duration pause = now - started < FAST_POLL_FOR.toNanos() ? poll : SLOW_POLL;
            Thread.sleep(Math.max(1, Math.min(pause.toMillis(), (deadline - now) / 1_000_000 + 1)));
            capsule = get(id);
        }
        note(log, Messages.Note_Running(id, elapsed(started)));
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
                    case SERVER_ERROR ->
                        e.httpStatus() == 503
                                ? Messages.Failure_NoCapacity(said)
                                : ApiFailures.of(client, null, credentialsName, e)
                                        .getMessage();
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
