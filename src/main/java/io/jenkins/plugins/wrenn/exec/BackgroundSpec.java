package io.jenkins.plugins.wrenn.exec;

import io.jenkins.plugins.wrenn.api.WrennClient;
import java.time.Duration;
import java.util.Map;

/**
 * A long-running process to start in a capsule and leave running, e.g. a test server.
 *
 * @param capsuleId the capsule
 * @param command what to run
 * @param envs extra environment variables
 * @param cwd the working directory, or null
 * @param tag the name to find and kill it by; null lets the server choose (or the engine, with
 *     {@code waitFor})
 * @param waitFor text the process prints once it is ready, or null not to wait
 * @param waitTimeout how long to wait for that text
 * @param credentialsName how to name the API key's credentials in messages
 */
public record BackgroundSpec(
        String capsuleId,
        Command command,
        Map<String, String> envs,
        String cwd,
        String tag,
        String waitFor,
        Duration waitTimeout,
        String credentialsName) {

    /** How long {@code waitFor} waits when no timeout is given. */
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(60);

    public BackgroundSpec {
        WrennClient.checkCapsuleId(capsuleId);
        if (command == null) {
            throw new IllegalArgumentException("command: must not be empty");
        }
        envs = ExecutionSpec.checkEnvNames(envs);
        if (cwd != null && cwd.isBlank()) {
            cwd = null;
        }
        if (tag != null && tag.isBlank()) {
            tag = null;
        }
        if (tag != null && (tag.indexOf('/') >= 0 || tag.chars().allMatch(Character::isDigit))) {
            throw new IllegalArgumentException(
                    "tag: must not contain '/' or be all digits (that is a pid), got '" + tag + "'");
        }
        if (waitFor != null && waitFor.isEmpty()) {
            waitFor = null;
        }
        if (waitTimeout == null) {
            waitTimeout = DEFAULT_WAIT;
        } else if (waitTimeout.isNegative() || waitTimeout.isZero()) {
            throw new IllegalArgumentException(
                    "waitForTimeout: must be positive, got " + waitTimeout.toSeconds() + " s");
        }
    }
}
