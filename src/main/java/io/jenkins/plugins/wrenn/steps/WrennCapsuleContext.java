package io.jenkins.plugins.wrenn.steps;

import hudson.AbortException;
import hudson.Util;
import java.io.IOException;
import java.io.Serializable;
import org.jenkinsci.plugins.workflow.steps.StepContext;
import org.kohsuke.accmod.Restricted;
import org.kohsuke.accmod.restrictions.NoExternalUse;

/**
 * What a {@code wrennCapsule} block gives the Wrenn steps inside it: the capsule they use when
 * they name none, and the credentials they use when they name none. A Pipeline context object,
 * so it is serializable and survives a controller restart with the block.
 */
public final class WrennCapsuleContext implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String capsuleId;
    private final String credentialsId;

    @Restricted(NoExternalUse.class)
    public WrennCapsuleContext(String capsuleId, String credentialsId) {
        this.capsuleId = capsuleId;
        this.credentialsId = credentialsId;
    }

    /** The block's capsule. */
    public String getCapsuleId() {
        return capsuleId;
    }

    /** The credentials id the block uses; null for the global default. */
    public String getCredentialsId() {
        return credentialsId;
    }

    /**
     * The capsule and credentials a step uses.
     *
     * @param capsule the capsule the step names, or null
     * @param credentialsId the credentials the step names, or null
     */
    @Restricted(NoExternalUse.class)
    public record Target(String capsule, String credentialsId) {}

    /**
     * The step's own capsule and credentials, else those of the enclosing {@code wrennCapsule}
     * block, if any.
     *
     * @throws AbortException when neither the step nor a block names a capsule
     */
    static Target target(StepContext context, String stepCapsule, String stepCredentialsId)
            throws IOException, InterruptedException {
        return targetIn(context.get(WrennCapsuleContext.class), stepCapsule, stepCredentialsId);
    }

    @Restricted(NoExternalUse.class)
    public static Target targetIn(WrennCapsuleContext block, String stepCapsule, String stepCredentialsId)
            throws AbortException {
        String capsule = Util.fixEmptyAndTrim(stepCapsule);
        if (capsule == null && block != null) {
            capsule = block.capsuleId;
        }
        if (capsule == null) {
            throw new AbortException(Messages.WrennCapsuleContext_NoCapsule());
        }
        String credentials = Util.fixEmptyAndTrim(stepCredentialsId);
        if (credentials == null && block != null) {
            credentials = block.credentialsId;
        }
        return new Target(capsule, credentials);
    }
}
