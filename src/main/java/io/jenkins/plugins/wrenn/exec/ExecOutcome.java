package io.jenkins.plugins.wrenn.exec;

/**
 * How a command ended, when it ended with an exit code.
 *
 * @param exitCode the process's exit code
 * @param stdout its standard output when it was captured, else null
 */
public record ExecOutcome(int exitCode, String stdout) {

    public boolean succeeded() {
        return exitCode == 0;
    }
}
