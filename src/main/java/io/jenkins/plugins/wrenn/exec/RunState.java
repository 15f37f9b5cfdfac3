package io.jenkins.plugins.wrenn.exec;

import java.io.Serializable;

/**
 * What a durable run needs to find its command again, after a cut stream or in a fresh engine
 * after a controller restart: the capsule, the wrapper's pid and control files, and how many bytes
 * of each output stream have reached the log. Small and immutable; the engine hands out a new one
 * as the run advances. A plain class rather than a record, so that every serialization Jenkins
 * uses for Pipeline state handles it.
 */
public final class RunState implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String capsuleId;
    private final String controlPrefix;
    private final long pid;
    private final long stdoutOffset;
    private final long stderrOffset;
    private final String credentialsName;
    private final boolean captureStdout;
    private final long deadlineEpochMillis;
    private final long timeoutSeconds;

    /**
     * @param capsuleId the capsule the command runs in
     * @param controlPrefix the name prefix of the run's control files in the capsule's temporary
     *     directory ({@code TMPDIR}, else {@code /tmp}); an absolute path prefix for runs saved by
     *     earlier versions, which the scripts still take
     * @param pid the wrapper's pid, or -1 while it is not known
     * @param stdoutOffset bytes of standard output already in the log
     * @param stderrOffset bytes of standard error already in the log
     * @param credentialsName how to name the credentials in messages
     * @param captureStdout whether standard output is returned rather than logged
     * @param deadlineEpochMillis when the step's own timeout runs out, or 0 for none
     * @param timeoutSeconds the timeout as the user gave it, for messages; 0 for none
     */
    public RunState(
            String capsuleId,
            String controlPrefix,
            long pid,
            long stdoutOffset,
            long stderrOffset,
            String credentialsName,
            boolean captureStdout,
            long deadlineEpochMillis,
            long timeoutSeconds) {
        this.capsuleId = capsuleId;
        this.controlPrefix = controlPrefix;
        this.pid = pid;
        this.stdoutOffset = stdoutOffset;
        this.stderrOffset = stderrOffset;
        this.credentialsName = credentialsName;
        this.captureStdout = captureStdout;
        this.deadlineEpochMillis = deadlineEpochMillis;
        this.timeoutSeconds = timeoutSeconds;
    }

    public String capsuleId() {
        return capsuleId;
    }

    public String controlPrefix() {
        return controlPrefix;
    }

    public long pid() {
        return pid;
    }

    public long stdoutOffset() {
        return stdoutOffset;
    }

    public long stderrOffset() {
        return stderrOffset;
    }

    public String credentialsName() {
        return credentialsName;
    }

    public boolean captureStdout() {
        return captureStdout;
    }

    public long deadlineEpochMillis() {
        return deadlineEpochMillis;
    }

    public long timeoutSeconds() {
        return timeoutSeconds;
    }

    RunState withPid(long newPid) {
        return new RunState(
                capsuleId,
                controlPrefix,
                newPid,
                stdoutOffset,
                stderrOffset,
                credentialsName,
                captureStdout,
                deadlineEpochMillis,
                timeoutSeconds);
    }

    RunState withOffsets(long stdout, long stderr) {
        return new RunState(
                capsuleId,
                controlPrefix,
                pid,
                stdout,
                stderr,
                credentialsName,
                captureStdout,
                deadlineEpochMillis,
                timeoutSeconds);
    }

    @Override
    public String toString() {
        return "RunState[" + capsuleId + ", pid " + pid + ", " + controlPrefix + ", stdout " + stdoutOffset
                + ", stderr " + stderrOffset + "]";
    }
}
