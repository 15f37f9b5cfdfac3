package io.jenkins.plugins.wrenn.capsules;

import hudson.model.InvisibleAction;
import hudson.model.Run;
import io.jenkins.plugins.wrenn.lifecycle.Released;
import io.jenkins.plugins.wrenn.steps.BackgroundProcessesAction;
import io.jenkins.plugins.wrenn.usage.BuildUsage;
import io.jenkins.plugins.wrenn.usage.CapsuleUsage;
import io.jenkins.plugins.wrenn.usage.UsageFormat;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import java.util.logging.Logger;
import jenkins.model.RunAction2;
import org.kohsuke.accmod.Restricted;
import org.kohsuke.accmod.restrictions.NoExternalUse;
import org.kohsuke.stapler.export.Exported;
import org.kohsuke.stapler.export.ExportedBean;

/**
 * The capsules a build held: what each cost (the <b>Capsule usage</b> table on the build page, and
 * {@code capsules} and {@code totals} in the build's REST API), and those it kept, with how to
 * resume them. Saved with the build on every change; the lists are copy-on-write, as in
 * {@link BackgroundProcessesAction}.
 *
 * <p>The build's {@code api/json} lists its actions one level down, and the rows below them one
 * level further: as core's {@code CauseAction} and its causes do, these properties are visible at 2
 * and the rows' at 3, so that the plain {@code api/json} shows them, not only a {@code tree=} query.
 */
@ExportedBean
public class BuildCapsulesAction extends InvisibleAction implements RunAction2 {

    private static final Logger LOGGER = Logger.getLogger(BuildCapsulesAction.class.getName());

    private volatile List<CapsuleUsage> usages = new ArrayList<>();
    private volatile List<Kept> kept = new ArrayList<>();

    /** Builds whose end was seen in this JVM, held weakly: each is let go with the build. */
    private static final Set<Run<?, ?>> RESULT_KNOWN = Collections.newSetFromMap(new WeakHashMap<>());

    private transient volatile Run<?, ?> owner;

    /** A capsule the build kept at its end. */
    @ExportedBean(defaultVisibility = 3)
    public static final class Kept {
        private final String capsuleId;
        private final String status;
        private final long keptUntilMillis;
        /** Kept only until the build's result is known: destroyed if it succeeds. */
        private final boolean untilResult;

        Kept(String capsuleId, String status, Instant keptUntil, boolean untilResult) {
            this.capsuleId = capsuleId;
            this.status = status;
            this.keptUntilMillis = keptUntil == null ? 0 : keptUntil.toEpochMilli();
            this.untilResult = untilResult;
        }

        /** The same capsule, no longer waiting for the build's result, kept until then (null: as before). */
        Kept settled(Instant until) {
            return new Kept(
                    capsuleId,
                    status,
                    until != null ? until : keptUntilMillis == 0 ? null : Instant.ofEpochMilli(keptUntilMillis),
                    false);
        }

        @Exported
        public String getCapsule() {
            return capsuleId;
        }

        /** The status it was left in, e.g. paused. */
        @Exported
        public String getStatus() {
            return status;
        }

        /** When the sweep destroys it, or null when it is kept until someone destroys it. */
        @Exported
        public String getKeptUntil() {
            return keptUntilMillis == 0
                    ? null
                    : Instant.ofEpochMilli(keptUntilMillis).toString();
        }

        /** The Pipeline snippet that resumes it. */
        @Exported
        public String getResumeWith() {
            return "wrennCapsule(capsule: '" + capsuleId + "', resume: true) { ... }";
        }
    }

    /**
     * Records how a capsule was given back: what it cost and whether it was kept. A give-back redone
     * after a controller restart may find the metrics gone; an earlier reading is then kept.
     */
    @Restricted(NoExternalUse.class)
    public static void record(Run<?, ?> run, Released released) {
        record(run, released, false);
    }

    private static synchronized void record(Run<?, ?> run, Released released, boolean untilResult) {
        if (released.usage() == null && !released.kept()) {
            return;
        }
        BuildCapsulesAction action = run.getAction(BuildCapsulesAction.class);
        if (action == null) {
            action = new BuildCapsulesAction();
            run.addAction(action);
        }
        action.add(released, untilResult);
        save(run);
    }

    /**
     * Records a capsule kept until the build's result is known, unless that result is known by now.
     *
     * @return true when it waits for {@link #resultIsKnown}; false when the result is known already,
     *     and the caller decides on the capsule itself
     */
    @Restricted(NoExternalUse.class)
    public static synchronized boolean recordUntilResult(Run<?, ?> run, Released released) {
        boolean waits = !isResultKnown(run);
        record(run, released, waits);
        return waits;
    }

    /**
     * Whether the build's result is final. A Pipeline has no result while it runs, and a moment
     * before its end says it is no longer building before its result is final: only the end of the
     * build ({@link #resultIsKnown}), or its log being closed, says so.
     */
    @Restricted(NoExternalUse.class)
    public static synchronized boolean isResultKnown(Run<?, ?> run) {
        return RESULT_KNOWN.contains(run) || !run.isLogUpdated();
    }

    /**
     * The build has ended and its result is final: returns the capsules that waited for it, each
     * once, and from now on none waits ({@link #recordUntilResult} says so to its caller).
     */
    @Restricted(NoExternalUse.class)
    public static synchronized List<String> resultIsKnown(Run<?, ?> run) {
        RESULT_KNOWN.add(run);
        List<String> taken = new ArrayList<>();
        changeKept(run, k -> k.untilResult, k -> {
            taken.add(k.capsuleId);
            return k.settled(null);
        });
        return taken;
    }

    /** A capsule the build kept is kept longer: the build shows until when. */
    @Restricted(NoExternalUse.class)
    public static synchronized void keptUntil(Run<?, ?> run, String capsuleId, Instant until) {
        changeKept(run, k -> k.capsuleId.equals(capsuleId), k -> k.settled(until));
    }

    /** A capsule the build kept is no longer kept (destroyed, or about to be): it is no longer listed. */
    @Restricted(NoExternalUse.class)
    public static synchronized void destroyed(Run<?, ?> run, String capsuleId) {
        changeKept(run, k -> k.capsuleId.equals(capsuleId), k -> null);
    }

    /** Replaces the kept capsules that match (null: removes them), and saves the build if any did. */
    private static void changeKept(Run<?, ?> run, Predicate<Kept> which, UnaryOperator<Kept> change) {
        BuildCapsulesAction action = run.getAction(BuildCapsulesAction.class);
        if (action == null || action.kept.stream().noneMatch(which)) {
            return;
        }
        List<Kept> next = new ArrayList<>();
        for (Kept k : action.kept) {
            Kept changed = which.test(k) ? change.apply(k) : k;
            if (changed != null) {
                next.add(changed);
            }
        }
        action.kept = next;
        save(run);
    }

    private static void save(Run<?, ?> run) {
        try {
            run.save();
        } catch (IOException e) {
            LOGGER.log(Level.WARNING, "Cannot save the capsule usage of " + run, e);
        }
    }

    private synchronized void add(Released released, boolean untilResult) {
        CapsuleUsage usage = released.usage();
        if (usage != null) {
            List<CapsuleUsage> next = new ArrayList<>(usages);
            CapsuleUsage earlier = next.stream()
                    .filter(u -> u.capsuleId().equals(usage.capsuleId()))
                    .findFirst()
                    .orElse(null);
            if (earlier == null || !earlier.metricsRead() || usage.metricsRead()) {
                next.remove(earlier);
                next.add(usage);
                usages = next;
            }
        }
        if (released.kept()) {
            List<Kept> next = new ArrayList<>(kept);
            next.removeIf(k -> k.capsuleId.equals(released.capsuleId()));
            next.add(new Kept(released.capsuleId(), released.status(), released.keptUntil(), untilResult));
            kept = next;
        }
    }

    /** One row of the Capsule usage table, as the page and the REST API show it. */
    @ExportedBean(defaultVisibility = 3)
    public static final class Row {
        private final CapsuleUsage usage;

        Row(CapsuleUsage usage) {
            this.usage = usage;
        }

        @Exported
        public String getCapsule() {
            return usage.capsuleId();
        }

        @Exported
        public int getVcpus() {
            return usage.vcpus();
        }

        @Exported
        public int getMemoryMb() {
            return usage.memoryMb();
        }

        @Exported
        public double getHeldSeconds() {
            return usage.held().toMillis() / 1000.0;
        }

        @Exported
        public double getVcpuSeconds() {
            return usage.vcpuSeconds();
        }

        @Exported
        public double getMbSeconds() {
            return usage.mbSeconds();
        }

        /** Whether the metrics were read; when not, the peaks are null and {@link #getMetricsProblem()} says why. */
        @Exported
        public boolean isMetricsRead() {
            return usage.metricsRead();
        }

        @Exported
        public String getMetricsProblem() {
            return usage.metricsProblem();
        }

        @Exported
        public Double getPeakCpuPercent() {
            return usage.metricsRead() ? usage.peakCpuPct() : null;
        }

        @Exported
        public Long getPeakMemoryBytes() {
            return usage.metricsRead() ? usage.peakMemBytes() : null;
        }

        @Exported
        public Long getDiskUsedBytes() {
            return usage.metricsRead() ? usage.diskBytes() : null;
        }

        public String getVcpuSecondsText() {
            return UsageFormat.seconds(usage.vcpuSeconds());
        }

        public String getMbSecondsText() {
            return UsageFormat.seconds(usage.mbSeconds());
        }

        public String getHeldText() {
            return UsageFormat.seconds(getHeldSeconds());
        }

        public String getPeakCpuText() {
            return UsageFormat.percent(usage.peakCpuPct());
        }

        public String getPeakMemoryText() {
            return UsageFormat.bytes(usage.peakMemBytes());
        }

        public String getDiskUsedText() {
            return UsageFormat.bytes(usage.diskBytes());
        }
    }

    /** The sums over the build's capsules. */
    @ExportedBean(defaultVisibility = 3)
    public static final class Totals {
        private final BuildUsage total;

        Totals(BuildUsage total) {
            this.total = total;
        }

        @Exported
        public int getCapsules() {
            return total.capsules();
        }

        /** How many capsules had metrics that could not be read. */
        @Exported
        public int getUnread() {
            return total.unread();
        }

        @Exported
        public double getVcpuSeconds() {
            return total.vcpuSeconds();
        }

        @Exported
        public double getMbSeconds() {
            return total.mbSeconds();
        }

        @Exported
        public Double getPeakCpuPercent() {
            return total.anyRead() ? total.peakCpuPct() : null;
        }

        @Exported
        public Long getPeakMemoryBytes() {
            return total.anyRead() ? total.peakMemBytes() : null;
        }

        @Exported
        public Long getDiskUsedBytes() {
            return total.anyRead() ? total.diskBytes() : null;
        }

        public boolean isAnyRead() {
            return total.anyRead();
        }

        public String getVcpuSecondsText() {
            return UsageFormat.seconds(total.vcpuSeconds());
        }

        public String getMbSecondsText() {
            return UsageFormat.seconds(total.mbSeconds());
        }

        public String getPeakCpuText() {
            return UsageFormat.percent(total.peakCpuPct());
        }

        public String getPeakMemoryText() {
            return UsageFormat.bytes(total.peakMemBytes());
        }

        public String getDiskUsedText() {
            return UsageFormat.bytes(total.diskBytes());
        }
    }

    /** One row per capsule, in the order they were given back. */
    @Exported(visibility = 2)
    public List<Row> getCapsules() {
        return usages.stream().map(Row::new).toList();
    }

    @Exported(visibility = 2)
    public Totals getTotals() {
        return new Totals(totals());
    }

    /** The capsules kept at the end, with how to resume them. */
    @Exported(visibility = 2)
    public List<Kept> getKept() {
        return List.copyOf(kept);
    }

    /** The sums, for the job's trend. */
    BuildUsage totals() {
        return BuildUsage.of(usages);
    }

    /** The build this belongs to, for the page. */
    public Run<?, ?> getRun() {
        return owner;
    }

    @Override
    public void onAttached(Run<?, ?> r) {
        owner = r;
    }

    @Override
    public void onLoad(Run<?, ?> r) {
        owner = r;
    }
}
