package io.jenkins.plugins.wrenn.capsules;

import hudson.Extension;
import hudson.model.Action;
import hudson.model.Item;
import hudson.model.Job;
import hudson.model.Run;
import io.jenkins.plugins.wrenn.usage.UsageTrend;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import jenkins.model.TransientActionFactory;
import org.kohsuke.stapler.bind.JavaScriptMethod;

/**
 * The trend of capsule usage on a job's page: vCPU-seconds and memory GiB-seconds per build, drawn
 * with the ECharts library the {@code echarts-api} plugin shares. The page asks for the data once
 * it is shown, so that rendering the job page reads no build.
 */
public class CapsuleUsageTrendAction implements Action {

    /** How many recent builds the trend covers. */
    static final int BUILDS = 30;

    private final Job<?, ?> job;

    CapsuleUsageTrendAction(Job<?, ?> job) {
        this.job = job;
    }

    public Job<?, ?> getJob() {
        return job;
    }

    @Override
    public String getIconFileName() {
        return null;
    }

    @Override
    public String getDisplayName() {
        return Messages.CapsuleUsageTrendAction_DisplayName();
    }

    @Override
    public String getUrlName() {
        return null;
    }

    /** The chart's data as JSON, oldest build first; asked for by the page's script. */
    @JavaScriptMethod
    public String getTrend() {
        job.checkPermission(Item.READ);
        List<UsageTrend.Point> points = new ArrayList<>();
        for (Run<?, ?> run : job.getBuilds().limit(BUILDS)) {
            BuildCapsulesAction action = run.getAction(BuildCapsulesAction.class);
            if (action != null) {
                points.add(new UsageTrend.Point(run.getNumber(), action.totals()));
            }
        }
        return UsageTrend.json(points);
    }

    /** Adds the trend to jobs whose last completed build held a capsule. */
    @Extension
    @SuppressWarnings("rawtypes") // the extension point's own signature
    public static class Factory extends TransientActionFactory<Job> {

        @Override
        public Class<Job> type() {
            return Job.class;
        }

        @Override
        public Collection<? extends Action> createFor(Job target) {
            Run<?, ?> last = target.getLastCompletedBuild();
            return last != null && last.getAction(BuildCapsulesAction.class) != null
                    ? List.of(new CapsuleUsageTrendAction(target))
                    : List.of();
        }
    }
}
