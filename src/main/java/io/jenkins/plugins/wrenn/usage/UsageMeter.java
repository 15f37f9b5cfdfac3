package io.jenkins.plugins.wrenn.usage;

import io.jenkins.plugins.wrenn.api.CapsuleMetrics;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * Reads what a capsule cost while a build held it. Must run before the capsule is destroyed: the
 * server forgets a stopped capsule's metrics.
 */
public final class UsageMeter {

    /** The ranges every server generation takes, shortest first, with how far back each reaches. */
    private static final String[] RANGES = {"5m", "1h", "6h", "24h"};

    private static final Duration[] SPANS = {
        Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofHours(6), Duration.ofHours(24)
    };

    private UsageMeter() {}

    /**
     * The usage of a capsule held from {@code since} until {@code now}.
     *
     * @param vcpus the vCPUs reserved, as the server reported them
     * @param memoryMb the memory reserved in MiB, as the server reported it
     */
    public static CapsuleUsage measure(
            WrennClient client, String capsuleId, int vcpus, int memoryMb, Instant since, Instant now)
            throws InterruptedException {
        Duration held = Duration.between(since, now);
        String range = rangeFor(held);
        try {
            CapsuleMetrics metrics = client.capsules().metrics(capsuleId, range);
            // The server samples every half second and stamps whole seconds: one second of slack.
            return CapsuleUsage.of(capsuleId, vcpus, memoryMb, held, metrics, since.getEpochSecond() - 1);
        } catch (WrennApiException e) {
            String said = e.serverMessage() == null || e.serverMessage().isBlank()
                    ? e.kind().name().toLowerCase(Locale.ROOT).replace('_', ' ')
                    : e.serverMessage();
            String status = e.httpStatus() > 0 ? "HTTP " + e.httpStatus() + ": " : "";
            return CapsuleUsage.unreadable(capsuleId, vcpus, memoryMb, held, status + said);
        }
    }

    /** The shortest range that reaches back over the whole time held (the longest beyond a day). */
    static String rangeFor(Duration held) {
        for (int i = 0; i < RANGES.length; i++) {
            if (held.compareTo(SPANS[i]) <= 0) {
                return RANGES[i];
            }
        }
        return RANGES[RANGES.length - 1];
    }
}
