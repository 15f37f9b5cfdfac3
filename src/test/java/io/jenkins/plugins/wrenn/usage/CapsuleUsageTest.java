package io.jenkins.plugins.wrenn.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.api.CapsuleMetrics;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CapsuleUsageTest {

    private static CapsuleMetrics.Point point(long at, double cpu, long memMb, long diskMb) {
        return new CapsuleMetrics.Point(at, cpu, memMb << 20, diskMb << 20);
    }

    @Test
    void reservedResourcesFollowTheTimeHeldAndPeaksOnlyTheBuildsOwnSamples() {
        CapsuleMetrics metrics = new CapsuleMetrics(
                "cl-a",
                "5m",
                List.of(
                        point(90, 99, 4000, 1), // before the build held it: someone else's peak
                        point(100, 20, 300, 5),
                        point(101, 85.5, 512, 6),
                        point(102, 10, 400, 8)));
        CapsuleUsage u = CapsuleUsage.of("cl-a", 2, 2048, Duration.ofSeconds(30), metrics, 100);
        assertTrue(u.metricsRead());
        assertEquals(60.0, u.vcpuSeconds(), 1e-9);
        assertEquals(61_440.0, u.mbSeconds(), 1e-9);
        assertEquals(85.5, u.peakCpuPct(), 1e-9);
        assertEquals(512L << 20, u.peakMemBytes());
        assertEquals(8L << 20, u.diskBytes(), "the disk at the last sample");
        assertEquals(
                "Capsule cl-a used 60.0 vCPU-s and 61,440 MB-s (30.0 s held at 2 vCPUs and 2048 MiB); peak CPU 86 %,"
                        + " peak memory 512 MiB, disk used 8 MiB.",
                u.describe());
    }

    @Test
    void unreadableMetricsAreSaidNotShownAsZeros() {
        CapsuleUsage u = CapsuleUsage.unreadable("cl-b", 1, 512, Duration.ofSeconds(10), "HTTP 404: gone");
        assertFalse(u.metricsRead());
        assertEquals(10.0, u.vcpuSeconds(), 1e-9);
        assertTrue(u.describe()
                .endsWith("; its metrics could not be read (HTTP 404: gone), so its peaks and disk use"
                        + " are not known."));
        CapsuleUsage none =
                CapsuleUsage.of("cl-c", 1, 512, Duration.ofSeconds(1), new CapsuleMetrics("cl-c", "5m", null), 0);
        assertFalse(none.metricsRead(), "no samples is not zero use");
    }

    @Test
    void aBuildsTotalsAddReservedUseAndKeepTheHighestPeaks() {
        CapsuleUsage a = CapsuleUsage.of(
                "cl-a",
                2,
                2048,
                Duration.ofSeconds(10),
                new CapsuleMetrics("cl-a", "5m", List.of(point(1, 40, 100, 3))),
                0);
        CapsuleUsage b = CapsuleUsage.of(
                "cl-b",
                4,
                1024,
                Duration.ofSeconds(5),
                new CapsuleMetrics("cl-b", "5m", List.of(point(1, 90, 50, 2))),
                0);
        CapsuleUsage c = CapsuleUsage.unreadable("cl-c", 1, 512, Duration.ofSeconds(2), "no answer");
        BuildUsage total = BuildUsage.of(List.of(a, b, c));
        assertEquals(3, total.capsules());
        assertEquals(1, total.unread());
        assertEquals(20 + 20 + 2, total.vcpuSeconds(), 1e-9);
        assertEquals(20_480 + 5_120 + 1_024, total.mbSeconds(), 1e-9);
        assertEquals(90, total.peakCpuPct(), 1e-9);
        assertEquals(100L << 20, total.peakMemBytes());
        assertEquals(5L << 20, total.diskBytes());
        assertTrue(total.anyRead());
    }

    @Test
    void theRangeReachesBackOverTheWholeTimeHeld() {
        assertEquals("5m", UsageMeter.rangeFor(Duration.ofSeconds(30)));
        assertEquals("1h", UsageMeter.rangeFor(Duration.ofMinutes(20)));
        assertEquals("6h", UsageMeter.rangeFor(Duration.ofHours(2)));
        assertEquals("24h", UsageMeter.rangeFor(Duration.ofDays(3)));
    }
}
