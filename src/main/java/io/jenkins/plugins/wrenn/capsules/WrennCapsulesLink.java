package io.jenkins.plugins.wrenn.capsules;

import hudson.Extension;
import hudson.model.ManagementLink;
import hudson.model.Run;
import io.jenkins.plugins.wrenn.CapsuleOwnership;
import io.jenkins.plugins.wrenn.ownership.CapsuleSweeper;
import io.jenkins.plugins.wrenn.ownership.Census;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import jenkins.model.Jenkins;
import org.kohsuke.stapler.HttpResponse;
import org.kohsuke.stapler.HttpResponses;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.verb.POST;

/**
 * Manage Jenkins &gt; <b>Wrenn capsules</b>: the capsules this Jenkins owns (build, status, age,
 * kept until), each with a button that destroys it. Administrators only; the destroy is a POST
 * with the page's crumb.
 */
@Extension
public class WrennCapsulesLink extends ManagementLink {

    @Override
    public String getIconFileName() {
        return "symbol-cube";
    }

    @Override
    public String getDisplayName() {
        return Messages.WrennCapsulesLink_DisplayName();
    }

    @Override
    public String getDescription() {
        return Messages.WrennCapsulesLink_Description();
    }

    @Override
    public String getUrlName() {
        return "wrenn-capsules";
    }

    @Override
    public Category getCategory() {
        return Category.STATUS;
    }

    /** One owned capsule as the page shows it. */
    public static final class Row {
        private final Census.Owned owned;
        private final Run<?, ?> build;
        private final Instant now;

        Row(Census.Owned owned, Run<?, ?> build, Instant now) {
            this.owned = owned;
            this.build = build;
            this.now = now;
        }

        /** The capsule's id, or null for a create whose answer never came. */
        public String getCapsule() {
            return owned.capsuleId();
        }

        public String getStatus() {
            return owned.status();
        }

        /** The build, e.g. {@code folder/app #12}. */
        public String getBuildName() {
            return owned.job() == null ? Messages.WrennCapsulesLink_UnknownBuild() : owned.job() + " #" + owned.build();
        }

        /** The build's page relative to the root, or null when the build no longer exists. */
        public String getBuildUrl() {
            return build == null ? null : build.getUrl();
        }

        public String getAge() {
            Instant created = owned.createdAt();
            return created == null ? "" : span(Duration.between(created, now));
        }

        /** When the sweep destroys it, or empty when it is not kept. */
        public String getKeptUntil() {
            Instant until = owned.keptUntil();
            return until == null ? "" : until.toString();
        }
    }

    /** What the page lists, read when the page is shown. */
    public static final class View {
        private final List<Row> rows;
        private final List<String> problems;

        View(List<Row> rows, List<String> problems) {
            this.rows = rows;
            this.problems = problems;
        }

        public List<Row> getRows() {
            return rows;
        }

        /** Why some capsules could not be listed, one sentence each. */
        public List<String> getProblems() {
            return problems;
        }
    }

    /** Lists the owned capsules; only administrators get here. */
    public View getView() throws InterruptedException {
        Jenkins.get().checkPermission(Jenkins.ADMINISTER);
        Instant now = Instant.now();
        List<Row> rows = new ArrayList<>();
        try (Census census = CapsuleOwnership.census()) {
            for (Census.Owned o : census.owned()) {
                rows.add(new Row(o, CapsuleOwnership.build(o.job(), o.build()), now));
            }
            return new View(rows, census.problems());
        }
    }

    /**
     * Destroys a capsule this Jenkins owns, and logs who asked. A capsule it does not own is left
     * alone, whatever id is posted.
     */
    @POST
    public HttpResponse doDestroy(@QueryParameter String capsule) throws InterruptedException {
        Jenkins.get().checkPermission(Jenkins.ADMINISTER);
        CapsuleSweeper.Action done = capsule == null
                ? null
                : CapsuleOwnership.sweeper()
                        .destroyAsked(
                                capsule.strip(),
                                Jenkins.getAuthentication2().getName(),
                                CapsuleOwnership.defaultGroups());
        if (done == null) {
            return HttpResponses.errorWithoutStack(404, Messages.WrennCapsulesLink_NotOwned(String.valueOf(capsule)));
        }
        return HttpResponses.redirectToDot();
    }

    /** An age such as "3 min" or "2 h 5 min". */
    static String span(Duration d) {
        long minutes = Math.max(0, d.toMinutes());
        if (minutes < 1) {
            return Messages.WrennCapsulesLink_Seconds(Math.max(0, d.toSeconds()));
        }
        if (minutes < 60) {
            return Messages.WrennCapsulesLink_Minutes(minutes);
        }
        long hours = minutes / 60;
        if (hours < 48) {
            return Messages.WrennCapsulesLink_Hours(hours, minutes % 60);
        }
        return Messages.WrennCapsulesLink_Days(hours / 24, hours % 24);
    }
}
