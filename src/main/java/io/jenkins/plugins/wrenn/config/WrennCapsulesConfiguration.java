package io.jenkins.plugins.wrenn.config;

import hudson.Extension;
import hudson.ExtensionList;
import hudson.Util;
import hudson.util.FormValidation;
import io.jenkins.plugins.wrenn.CapsuleOwnership;
import java.time.Duration;
import jenkins.model.GlobalConfiguration;
import jenkins.model.Jenkins;
import net.sf.json.JSONObject;
import org.jenkinsci.Symbol;
import org.kohsuke.accmod.Restricted;
import org.kohsuke.accmod.restrictions.NoExternalUse;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.StaplerRequest2;
import org.kohsuke.stapler.verb.POST;

/**
 * The "Wrenn capsules" section of Manage Jenkins &gt; System: how many capsules the builds of this
 * Jenkins may hold at once, and how long a kept capsule is kept before the sweep destroys it.
 * Configuration as Code reads it as {@code unclassified: wrennCapsules: ...}.
 */
@Extension
@Symbol("wrennCapsules")
public final class WrennCapsulesConfiguration extends GlobalConfiguration {

    /** How long a kept capsule is kept unless the administrator says otherwise. */
    static final int DEFAULT_RETENTION_HOURS = 24;

    /** Null for no limit. */
    private Integer maxCapsules;

    private int keptRetentionHours = DEFAULT_RETENTION_HOURS;

    /** Made once by Jenkins. The class is final: {@code load()} here cannot meet a half-made subclass. */
    public WrennCapsulesConfiguration() {
        load();
        CapsuleOwnership.SLOTS.setMax(maxCapsules == null ? 0 : maxCapsules);
    }

    public static WrennCapsulesConfiguration get() {
        return ExtensionList.lookupSingleton(WrennCapsulesConfiguration.class);
    }

    /** The most capsules this Jenkins' builds create and hold at once; null (empty) for no limit. */
    public Integer getMaxCapsules() {
        return maxCapsules;
    }

    /**
     * Sets the limit; null or 0 for none.
     *
     * @throws IllegalArgumentException below 0 (Configuration as Code reports it)
     */
    @DataBoundSetter
    public void setMaxCapsules(Integer maxCapsules) {
        if (maxCapsules != null && maxCapsules < 0) {
            throw new IllegalArgumentException(Messages.WrennCapsulesConfiguration_MaxCapsulesNegative());
        }
        this.maxCapsules = maxCapsules == null || maxCapsules == 0 ? null : maxCapsules;
        CapsuleOwnership.SLOTS.setMax(this.maxCapsules == null ? 0 : this.maxCapsules);
        save();
    }

    /** Hours a kept capsule is kept, paused, before the sweep destroys it. */
    public int getKeptRetentionHours() {
        return keptRetentionHours;
    }

    /**
     * @throws IllegalArgumentException below 1
     */
    @DataBoundSetter
    public void setKeptRetentionHours(int keptRetentionHours) {
        if (keptRetentionHours < 1) {
            throw new IllegalArgumentException(Messages.WrennCapsulesConfiguration_RetentionPositive());
        }
        this.keptRetentionHours = keptRetentionHours;
        save();
    }

    @Restricted(NoExternalUse.class)
    public Duration keptRetention() {
        return Duration.ofHours(keptRetentionHours);
    }

    /** Checks both fields before either changes, so that a bad submission changes nothing. */
    @Override
    public boolean configure(StaplerRequest2 req, JSONObject json) throws FormException {
        String maxProblem = maxCapsulesProblem(json.optString("maxCapsules"));
        if (maxProblem != null) {
            throw new FormException(maxProblem, "maxCapsules");
        }
        String retentionProblem = retentionProblem(json.optString("keptRetentionHours"));
        if (retentionProblem != null) {
            throw new FormException(retentionProblem, "keptRetentionHours");
        }
        String max = Util.fixEmptyAndTrim(json.optString("maxCapsules"));
        setMaxCapsules(max == null ? null : Integer.valueOf(max));
        setKeptRetentionHours(
                Integer.parseInt(json.optString("keptRetentionHours").strip()));
        return true;
    }

    /** What is wrong with a maximum as typed; null when it is empty (no limit) or a whole number, 0 or more. */
    static String maxCapsulesProblem(String value) {
        String v = Util.fixEmptyAndTrim(value);
        if (v == null) {
            return null;
        }
        try {
            if (Integer.parseInt(v) >= 0) {
                return null;
            }
        } catch (NumberFormatException e) {
            // not a whole number: the same answer as for a negative one
        }
        return Messages.WrennCapsulesConfiguration_MaxCapsulesNegative();
    }

    /** What is wrong with a retention as typed; null when it is a whole number of hours, 1 or more. */
    static String retentionProblem(String value) {
        try {
            if (value != null && Integer.parseInt(value.strip()) >= 1) {
                return null;
            }
        } catch (NumberFormatException e) {
            // not a whole number: the same answer as for 0
        }
        return Messages.WrennCapsulesConfiguration_RetentionPositive();
    }

    @POST
    public FormValidation doCheckMaxCapsules(@QueryParameter String value) {
        if (!Jenkins.get().hasPermission(Jenkins.ADMINISTER)) {
            return FormValidation.ok();
        }
        String problem = maxCapsulesProblem(value);
        if (problem != null) {
            return FormValidation.error(problem);
        }
        return Util.fixEmptyAndTrim(value) == null || "0".equals(value.strip())
                ? FormValidation.ok(Messages.WrennCapsulesConfiguration_NoLimit())
                : FormValidation.ok();
    }

    @POST
    public FormValidation doCheckKeptRetentionHours(@QueryParameter String value) {
        if (!Jenkins.get().hasPermission(Jenkins.ADMINISTER)) {
            return FormValidation.ok();
        }
        String problem = retentionProblem(value);
        return problem == null ? FormValidation.ok() : FormValidation.error(problem);
    }
}
