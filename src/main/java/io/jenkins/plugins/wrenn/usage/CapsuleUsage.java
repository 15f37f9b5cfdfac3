package io.jenkins.plugins.wrenn.usage;

import io.jenkins.plugins.wrenn.api.CapsuleMetrics;
import java.io.Serializable;
import java.time.Duration;

/**
 * What one capsule cost a build: the vCPUs and memory reserved for the time the build held it,
 * and, when the server's metrics could be read, the peaks it reached and the disk it used. A plain
 * class rather than a record: it is kept with the build, whose serializer predates records.
 */
public final class CapsuleUsage implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String capsuleId;
    private final int vcpus;
    private final int memoryMb;
    private final long heldMillis;
    private final double peakCpuPct;
    private final long peakMemBytes;
    private final long diskBytes;
    /** Why the metrics could not be read; null when they were. */
    private final String metricsProblem;

    private CapsuleUsage(
            String capsuleId,
            int vcpus,
            int memoryMb,
            long heldMillis,
            double peakCpuPct,
            long peakMemBytes,
            long diskBytes,
            String metricsProblem) {
        this.capsuleId = capsuleId;
        this.vcpus = vcpus;
        this.memoryMb = memoryMb;
        this.heldMillis = Math.max(0, heldMillis);
        this.peakCpuPct = peakCpuPct;
        this.peakMemBytes = peakMemBytes;
        this.diskBytes = diskBytes;
        this.metricsProblem = metricsProblem;
    }

    /**
     * The usage of a capsule held for {@code held}, with the peaks of the samples taken from
     * {@code sinceEpochSecond} on (earlier samples belong to whoever held it before).
     */
    public static CapsuleUsage of(
            String capsuleId, int vcpus, int memoryMb, Duration held, CapsuleMetrics metrics, long sinceEpochSecond) {
        double cpu = 0;
        long mem = 0;
        long disk = 0;
        long lastAt = Long.MIN_VALUE;
        for (CapsuleMetrics.Point p : metrics.points()) {
            if (p.timestampUnix() < sinceEpochSecond) {
                continue;
            }
            cpu = Math.max(cpu, p.cpuPct());
            mem = Math.max(mem, p.memBytes());
            if (p.timestampUnix() >= lastAt) {
                lastAt = p.timestampUnix();
                disk = p.diskBytes();
            }
        }
        if (lastAt == Long.MIN_VALUE) {
            return unreadable(capsuleId, vcpus, memoryMb, held, Messages.Usage_NoSamples());
        }
        return new CapsuleUsage(capsuleId, vcpus, memoryMb, held.toMillis(), cpu, mem, disk, null);
    }

    /** The usage of a capsule whose metrics could not be read: what was reserved, and why the rest is unknown. */
    public static CapsuleUsage unreadable(String capsuleId, int vcpus, int memoryMb, Duration held, String problem) {
        return new CapsuleUsage(capsuleId, vcpus, memoryMb, held.toMillis(), 0, 0, 0, problem);
    }

    public String capsuleId() {
        return capsuleId;
    }

    public int vcpus() {
        return vcpus;
    }

    public int memoryMb() {
        return memoryMb;
    }

    /** How long the build held the capsule, from running to given back. */
    public Duration held() {
        return Duration.ofMillis(heldMillis);
    }

    /** vCPUs reserved times the seconds held. */
    public double vcpuSeconds() {
        return vcpus * heldMillis / 1000.0;
    }

    /** MiB of memory reserved times the seconds held. */
    public double mbSeconds() {
        return memoryMb * heldMillis / 1000.0;
    }

    /** Whether the server's metrics were read; the peaks and the disk mean nothing otherwise. */
    public boolean metricsRead() {
        return metricsProblem == null;
    }

    /** Why the metrics could not be read, or null. */
    public String metricsProblem() {
        return metricsProblem;
    }

    /** The highest CPU use sampled, in percent of all the capsule's vCPUs. */
    public double peakCpuPct() {
        return peakCpuPct;
    }

    /** The most memory sampled. */
    public long peakMemBytes() {
        return peakMemBytes;
    }

    /** The disk the capsule had written at the last sample. */
    public long diskBytes() {
        return diskBytes;
    }

    /** The one log line that sums this capsule up. */
    public String describe() {
        String reserved = Messages.Usage_Reserved(
                capsuleId,
                UsageFormat.seconds(vcpuSeconds()),
                UsageFormat.seconds(mbSeconds()),
                UsageFormat.seconds(heldMillis / 1000.0),
                Integer.toString(vcpus),
                Integer.toString(memoryMb));
        return metricsRead()
                ? Messages.Usage_Line(
                        reserved,
                        UsageFormat.percent(peakCpuPct),
                        UsageFormat.bytes(peakMemBytes),
                        UsageFormat.bytes(diskBytes))
                : Messages.Usage_LineUnread(reserved, metricsProblem);
    }
}
