package hudson;

public class Util {
    // Pure string helpers: they behave as in core (null for null or empty; the second trims
    // first), so that option rules built on them can be tested offline.
    public static String fixEmpty(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    public static String fixEmptyAndTrim(String s) {
        return s == null ? null : fixEmpty(s.trim());
    }
}
