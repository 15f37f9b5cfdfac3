package io.jenkins.plugins.wrenn.usage;

import java.util.Locale;

/** Numbers as the build page and the log show them. */
public final class UsageFormat {

    private UsageFormat() {}

    /** One decimal up to 100, whole numbers with thousands separators above. */
    public static String seconds(double value) {
        return value < 100
                ? String.format(Locale.ROOT, "%.1f", value)
                : String.format(Locale.ROOT, "%,d", Math.round(value));
    }

    public static String percent(double value) {
        return String.format(Locale.ROOT, "%.0f %%", value);
    }

    /** Bytes in KiB, MiB or GiB, whichever reads best. */
    public static String bytes(long bytes) {
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.0f KiB", bytes / 1024.0);
        }
        if (bytes < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.0f MiB", bytes / (1024.0 * 1024));
        }
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
    }
}
