package io.jenkins.plugins.wrenn.exec;

import io.jenkins.plugins.wrenn.api.WrennClient;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One command to run in one capsule, with everything the user chose about it.
 *
 * @param capsuleId the capsule
 * @param command what to run
 * @param envs extra environment variables (names must be valid shell names)
 * @param cwd the working directory, or null for the capsule's default
 * @param timeout how long the command may run, or null for no limit
 * @param captureStdout return standard output instead of writing it to the log
 * @param credentialsName how to name the API key's credentials in messages, e.g. its id
 */
public record ExecutionSpec(
        String capsuleId,
        Command command,
        Map<String, String> envs,
        String cwd,
        Duration timeout,
        boolean captureStdout,
        String credentialsName) {

    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    public ExecutionSpec {
        WrennClient.checkCapsuleId(capsuleId);
        if (command == null) {
            throw new IllegalArgumentException("command: must not be empty");
        }
        envs = checkEnvNames(envs);
        if (cwd != null && cwd.isBlank()) {
            cwd = null;
        }
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("timeout: must be positive, got " + timeout.toSeconds() + " s");
        }
    }

    /** Copies the map, refusing names a shell cannot export. */
    static Map<String, String> checkEnvNames(Map<String, String> envs) {
        Map<String, String> copy = envs == null ? Map.of() : Map.copyOf(envs);
        for (String name : copy.keySet()) {
            if (!ENV_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("envs: '" + name
                        + "' is not a valid variable name (letters, digits and _, not starting with a digit)");
            }
        }
        return copy;
    }

    /** The simplest run: a command in a capsule, output to the log, no limits. */
    public static ExecutionSpec of(String capsuleId, Command command) {
        return new ExecutionSpec(capsuleId, command, null, null, null, false, null);
    }

    /** The same run, naming the API key's credentials this way in messages. */
    public ExecutionSpec withCredentialsName(String credentialsName) {
        return new ExecutionSpec(capsuleId, command, envs, cwd, timeout, captureStdout, credentialsName);
    }
}
