package io.jenkins.plugins.wrenn.ownership;

import io.jenkins.plugins.wrenn.api.Capsule;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Destroys the capsules this Jenkins created whose build is over, whatever ended it (a crash, a
 * restart in the middle of a freestyle build, a launch that failed half way), except those kept
 * whose retention has not run out. Never touches a capsule it did not create: only those in its
 * records or carrying its labels. Logs each action, with the capsule, its build and why, to the
 * system log; forgets the records of capsules confirmed gone.
 */
public final class CapsuleSweeper {

    private static final Logger LOGGER = Logger.getLogger(CapsuleSweeper.class.getName());

    /**
     * How long a create whose answer never came is looked for before its record is dropped: long
     * enough for the create to have reached the server and to show in its listing.
     */
    public static final Duration UNANSWERED_GRACE = Duration.ofMinutes(10);

    /** Whether a build still runs. */
    public enum BuildState {
        RUNNING,
        OVER,
        /** The job or the build no longer exists: over, too. */
        GONE
    }

    /** Looks builds up. */
    @FunctionalInterface
    public interface Builds {
        BuildState state(String job, int build);
    }

    /**
     * What the sweep did to one capsule.
     *
     * @param capsuleId the capsule, or null for a create whose answer never came
     * @param what one sentence for the system log
     */
    public record Action(String capsuleId, String job, int build, Kind kind, String what) {}

    /** What was done. */
    public enum Kind {
        DESTROYED,
        FORGOTTEN,
        FAILED
    }

    private final CapsuleLedger ledger;
    private final String instanceId;
    private final Census.Clients clients;
    private final Builds builds;
    private final Clock clock;

    public CapsuleSweeper(CapsuleLedger ledger, String instanceId, Census.Clients clients, Builds builds, Clock clock) {
        this.ledger = ledger;
        this.instanceId = instanceId;
        this.clients = clients;
        this.builds = builds;
        this.clock = clock;
    }

    /**
     * One pass over every capsule this Jenkins owns.
     *
     * @param extraGroups API keys to list besides those the records name, for capsules known only by their labels
     */
    public List<Action> sweep(Collection<Group> extraGroups) throws InterruptedException {
        List<Action> actions = new ArrayList<>();
        List<String> forget = new ArrayList<>();
        List<String> destroying = new ArrayList<>();
        Instant now = clock.instant();
        try (Census census = Census.take(ledger, instanceId, clients, extraGroups)) {
            census.problems().forEach(p -> LOGGER.log(Level.WARNING, p));
            for (Census.Owned o : census.owned()) {
                WrennClient client = census.client(o.group());
                if (client == null) {
                    continue;
                }
                Action a = o.capsule() != null ? decide(o, client, now) : settle(o, client, now, forget);
                if (a != null && a.kind() == Kind.DESTROYED && o.record() != null) {
                    destroying.add(o.record().recordId());
                }
                if (a != null) {
                    LOGGER.log(a.kind() == Kind.FAILED ? Level.WARNING : Level.INFO, a.what());
                    actions.add(a);
                }
            }
        }
        // One write for the whole pass: a crash before it only makes the next pass destroy again (404: gone).
        ledger.updateAll(destroying, r -> r.with(OwnedCapsule.State.DESTROYING, 0));
        ledger.remove(forget);
        return actions;
    }

    /**
     * Destroys one capsule this Jenkins owns, at a user's request, and logs it.
     *
     * @param who who asked, for the log
     * @return what was done, or null when this Jenkins does not own such a capsule (it is left alone)
     */
    public Action destroyAsked(String capsuleId, String who, Collection<Group> extraGroups)
            throws InterruptedException {
        return destroyBecause(capsuleId, Messages.Sweep_AskedOnPage(who), extraGroups);
    }

    /**
     * Destroys one capsule this Jenkins owns, kept or not, and logs why. Its record stops keeping it
     * whether the destroy worked or not (its API could not even be reached, say), so that a failed
     * one is tried again by the next sweep.
     *
     * @param why the reason, for the log
     * @return what was done, or null when this Jenkins does not own such a capsule (it is left alone)
     */
    public Action destroyBecause(String capsuleId, String why, Collection<Group> extraGroups)
            throws InterruptedException {
        try (Census census = Census.take(ledger, instanceId, clients, extraGroups)) {
            for (Census.Owned o : census.owned()) {
                if (!capsuleId.equals(o.capsuleId())) {
                    continue;
                }
                WrennClient client = census.client(o.group());
                if (client == null && o.record() == null) {
                    continue;
                }
                Action a = client != null
                        ? destroy(o, client, why)
                        : new Action(
                                o.capsuleId(),
                                o.job(),
                                o.build(),
                                Kind.FAILED,
                                Messages.Sweep_DestroyFailed(
                                        o.capsuleId(), buildName(o), why, String.join("; ", census.problems())));
                LOGGER.log(a.kind() == Kind.FAILED ? Level.WARNING : Level.INFO, a.what());
                if (o.record() != null) {
                    ledger.update(o.record().recordId(), r -> r.with(OwnedCapsule.State.DESTROYING, 0));
                }
                return a;
            }
        }
        return null;
    }

    /** A listed capsule: destroyed when its build is over and it is not kept. */
    private Action decide(Census.Owned o, WrennClient client, Instant now) throws InterruptedException {
        if ("stopping".equals(o.capsule().status())) {
            return null;
        }
        BuildState state = builds.state(o.job(), o.build());
        if (state == BuildState.RUNNING) {
            return null;
        }
        Instant keptUntil = o.keptUntil();
        if (keptUntil != null && now.isBefore(keptUntil)) {
            return null;
        }
        String why = keptUntil != null
                ? Messages.Sweep_RetentionOver(keptUntil.toString())
                : state == BuildState.GONE ? Messages.Sweep_BuildGone() : Messages.Sweep_BuildOver();
        return destroy(o, client, why);
    }

    /**
     * Destroys one owned capsule and says so.
     *
     * @param why the reason, for the log
     */
    private Action destroy(Census.Owned o, WrennClient client, String why) throws InterruptedException {
        String build = buildName(o);
        try {
            client.capsules().destroy(o.capsuleId());
        } catch (WrennApiException e) {
            if (e.kind() != WrennApiException.Kind.NOT_FOUND) {
                return new Action(
                        o.capsuleId(),
                        o.job(),
                        o.build(),
                        Kind.FAILED,
                        Messages.Sweep_DestroyFailed(o.capsuleId(), build, why, e.getMessage()));
            }
        }
        return new Action(
                o.capsuleId(), o.job(), o.build(), Kind.DESTROYED, Messages.Sweep_Destroyed(o.capsuleId(), build, why));
    }

    /** A record the listing did not show: forgotten once the capsule is confirmed gone. */
    private Action settle(Census.Owned o, WrennClient client, Instant now, List<String> forget)
            throws InterruptedException {
        OwnedCapsule r = o.record();
        if (r.capsuleId() == null) {
            boolean waited = now.isAfter(r.createdAt().plus(UNANSWERED_GRACE));
            if (waited && builds.state(r.job(), r.build()) != BuildState.RUNNING) {
                forget.add(r.recordId());
                return new Action(
                        null,
                        r.job(),
                        r.build(),
                        Kind.FORGOTTEN,
                        Messages.Sweep_Unanswered(buildName(o), r.createdAt().toString(), r.apiUrl()));
            }
            return null;
        }
        Capsule c;
        try {
            c = Census.lookUp(client, r.capsuleId());
        } catch (WrennApiException e) {
            return null;
        }
        if (c == null) {
            forget.add(r.recordId());
            return new Action(
                    r.capsuleId(),
                    r.job(),
                    r.build(),
                    Kind.FORGOTTEN,
                    Messages.Sweep_Gone(r.capsuleId(), buildName(o)));
        }
        // Not listed but there: decide on what the server says of it.
        return decide(new Census.Owned(o.group(), o.capsuleId(), r, c, o.job(), o.build()), client, now);
    }

    private static String buildName(Census.Owned o) {
        return o.job() == null ? Messages.Sweep_UnknownBuild() : o.job() + " #" + o.build();
    }
}
