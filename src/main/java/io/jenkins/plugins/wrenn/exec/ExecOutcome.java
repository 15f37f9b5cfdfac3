package io.jenkins.plugins.wrenn.exec;

/**
 * How a command ended, when it ended with an exit code.
 *
 * @param exitCode the process's exit code; -1 when a signal killed it (the server has no status then)
 * @param stdout its standard output when it was captured, else null
 */
public record ExecOutcome(int exitCode, String stdout) {

    /** The exit code the Wrenn server reports for a process that a signal killed. */
    public static final int KILLED_BY_SIGNAL = -1;

    public boolean succeeded() {
        return exitCode == 0;
    }

    /** Why the build fails when the command did not succeed, for the build log. */
    public String failureMessage() {
        return exitCode == KILLED_BY_SIGNAL
                ? Messages.Failure_KilledBySignal()
                : Messages.Failure_ExitCode(Integer.toString(exitCode));
    }
}
