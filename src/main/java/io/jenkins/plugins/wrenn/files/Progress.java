package io.jenkins.plugins.wrenn.files;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/** Counts the bytes of a transfer and writes a progress line to the log now and then. */
final class Progress {

    private final PrintStream log;
    private final String verb;
    private final long total;
    private final long intervalNanos;
    private final long start = System.nanoTime();
    private long done;
    private long lastReport = start;

    Progress(PrintStream log, String verb, long total, Duration interval) {
        this.log = log;
        this.verb = verb;
        this.total = total;
        this.intervalNanos = interval.toNanos();
    }

    void add(long bytes) {
        done += bytes;
        long now = System.nanoTime();
        if (now - lastReport >= intervalNanos) {
            lastReport = now;
            double seconds = (now - start) / 1e9;
            log.println("[wrenn] " + verb + " " + size(done) + " of " + size(total) + " ("
                    + String.format(Locale.ROOT, "%.0f%%, %s/s", 100.0 * done / Math.max(1, total), size((long)
                            (done / Math.max(seconds, 1e-3))))
                    + ")");
        }
    }

    Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** A byte count as people read it: 512 B, 1.5 KiB, 50.0 MiB, 2.0 GiB. */
    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }
}
