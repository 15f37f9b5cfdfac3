package io.jenkins.plugins.wrenn;

import hudson.Util;
import hudson.model.Item;
import hudson.util.FormValidation;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.exec.ConnectionCheck;
import io.jenkins.plugins.wrenn.exec.EnvironmentLines;
import jenkins.model.Jenkins;
import org.kohsuke.accmod.Restricted;
import org.kohsuke.accmod.restrictions.NoExternalUse;

/**
 * Form validation shared by the build step's and the Pipeline steps' descriptors. Job pages and the
 * Snippet Generator call the checks for users who may only read; those get {@link
 * FormValidation#ok()} instead of a 403, and the check does nothing else for them.
 */
@Restricted(NoExternalUse.class)
public final class FormChecks {

    private FormChecks() {}

    /** Whether the user may configure the item, or administer Jenkins when there is no item. */
    public static boolean mayConfigure(Item item) {
        return item == null ? Jenkins.get().hasPermission(Jenkins.ADMINISTER) : item.hasPermission(Item.CONFIGURE);
    }

    /**
     * A capsule id. Empty is not flagged (the field shows no red before any input; a build without
     * it fails with a clear message); variables are left to build time; otherwise no '/' or white
     * space.
     */
    public static FormValidation capsule(Item item, String value) {
        if (!mayConfigure(item)) {
            return FormValidation.ok();
        }
        String problem = capsuleProblem(value);
        return problem == null ? FormValidation.ok() : FormValidation.error(problem);
    }

    /** What is wrong with a capsule id as typed in a form, in the user's words; null when nothing. */
    public static String capsuleProblem(String value) {
        String id = Util.fixEmptyAndTrim(value);
        if (id == null || id.contains("$")) {
            return null;
        }
        try {
            WrennClient.checkCapsuleId(id);
            return null;
        } catch (IllegalArgumentException e) {
            return Messages.FormChecks_CapsuleIdShape();
        }
    }

    /** Shows a Test connection result under its button. */
    public static FormValidation shown(ConnectionCheck.Result result) {
        return switch (result.verdict()) {
            case OK -> FormValidation.ok(result.message());
            case WARNING -> FormValidation.warning(result.message());
            case ERROR -> FormValidation.error(result.message());
        };
    }

    /** Environment variables one {@code NAME=VALUE} per line, by the engine's rule; names the bad line. */
    public static FormValidation envLines(Item item, String value) {
        if (!mayConfigure(item) || value == null) {
            return FormValidation.ok();
        }
        String[] lines = value.split("\\R");
        for (int i = 0; i < lines.length; i++) {
            try {
                EnvironmentLines.parse(lines[i]);
            } catch (IllegalArgumentException e) {
                return FormValidation.error(Messages.FormChecks_EnvsLine(Integer.toString(i + 1), lines[i].strip()));
            }
        }
        return FormValidation.ok();
    }
}
