package hudson;

import edu.umd.cs.findbugs.annotations.CheckForNull;

public class Util {
    // Pure string helpers: they behave as in core (null for null or empty; the second trims
    // first), so that option rules built on them can be tested offline.
    @CheckForNull
    public static String fixEmpty(@CheckForNull String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    @CheckForNull
    public static String fixEmptyAndTrim(@CheckForNull String s) {
        return s == null ? null : fixEmpty(s.trim());
    }
}
