package io.jenkins.plugins.wrenn.exec;

/**
 * How a command ended, when it ended with an exit code.
 *
 * @param exitCode the command's exit status as {@code sh} reports it: its own 0..255, and 128 + n
 *     for a death by signal n; -1 when a signal killed the command together with its wrapper, which
 *     then left no status (the server reports -1 for a process a signal ended)
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
        if (exitCode == KILLED_BY_SIGNAL) {
            return Messages.Failure_KilledBySignal();
        }
        // 129..192: a shell's code for signals 1..64; the command may also have said exit 143 itself.
        if (exitCode > 128 && exitCode <= 128 + 64) {
            return Messages.Failure_ExitCodeOfSignal(Integer.toString(exitCode), Integer.toString(exitCode - 128));
        }
        return Messages.Failure_ExitCode(Integer.toString(exitCode));
    }
}
