package io.jenkins.plugins.wrenn.files;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Ant-style patterns as {@code archiveArtifacts} and {@code stash} take them: comma-separated,
 * relative paths with {@code /}, {@code *} within one directory level, {@code **} across levels, a
 * trailing {@code /} meaning everything below.
 */
public final class AntPatterns {

    private final String text;
    private final List<Pattern> patterns;

    private AntPatterns(String text, List<Pattern> patterns) {
        this.text = text;
        this.patterns = patterns;
    }

    /** Parses comma-separated patterns; an empty text matches nothing. */
    public static AntPatterns of(String text) {
        List<Pattern> list = new ArrayList<>();
        if (text != null) {
            for (String p : text.split(",")) {
                String t = p.trim().replace('\\', '/');
                if (t.isEmpty()) {
                    continue;
                }
                while (t.startsWith("./")) {
                    t = t.substring(2);
                }
                if (t.endsWith("/")) {
                    t = t + "**";
                }
                list.add(Pattern.compile(regex(t), Pattern.DOTALL));
            }
        }
        return new AntPatterns(text == null ? "" : text.trim(), List.copyOf(list));
    }

    public boolean isEmpty() {
        return patterns.isEmpty();
    }

    /** Whether a relative path (with {@code /}) matches any of the patterns. */
    public boolean matches(String path) {
        for (Pattern p : patterns) {
            if (p.matcher(path).matches()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return text;
    }

    private static String regex(String glob) {
        StringBuilder r = new StringBuilder();
        int i = 0;
        while (i < glob.length()) {
            char c = glob.charAt(i);
            if (glob.startsWith("**/", i)) {
                r.append("(?:.*/)?");
                i += 3;
            } else if (glob.startsWith("**", i)) {
                r.append(".*");
                i += 2;
            } else if (c == '*') {
                r.append("[^/]*");
                i++;
            } else if (c == '?') {
                r.append("[^/]");
                i++;
            } else {
                r.append(Pattern.quote(String.valueOf(c)));
                i++;
            }
        }
        return r.toString();
    }
}
