package io.jenkins.plugins.wrenn.usage;

import java.util.List;

/**
 * The sum over a build's capsules: reserved vCPU-seconds and MB-seconds add up; the peaks are the
 * highest of the capsules whose metrics were read; the disk adds up over those.
 *
 * @param capsules how many capsules the build held
 * @param unread how many of them had metrics that could not be read
 */
public record BuildUsage(
        int capsules,
        int unread,
        double vcpuSeconds,
        double mbSeconds,
        double peakCpuPct,
        long peakMemBytes,
        long diskBytes) {

    /** The totals of these capsules. */
    public static BuildUsage of(List<CapsuleUsage> usages) {
        int unread = 0;
        double vcpuSeconds = 0;
        double mbSeconds = 0;
        double cpu = 0;
        long mem = 0;
        long disk = 0;
        for (CapsuleUsage u : usages) {
            vcpuSeconds += u.vcpuSeconds();
            mbSeconds += u.mbSeconds();
            if (u.metricsRead()) {
                cpu = Math.max(cpu, u.peakCpuPct());
                mem = Math.max(mem, u.peakMemBytes());
                disk += u.diskBytes();
            } else {
                unread++;
            }
        }
        return new BuildUsage(usages.size(), unread, vcpuSeconds, mbSeconds, cpu, mem, disk);
    }

    /** Whether at least one capsule's metrics were read, so that the peaks mean something. */
    public boolean anyRead() {
        return unread < capsules;
    }
}
