package io.jenkins.plugins.wrenn.files;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Ant-style patterns as {@code archiveArtifacts} and {@code stash} take them: comma-separated,
 * relative paths with {@code /}, {@code *} within one directory level, {@code **} across levels
 * (also none, so {@code d/**} matches {@code d} itself, as in Ant), a trailing {@code /} meaning
 * everything below.
 */
public final class AntPatterns {

    /** One pattern: its names, each a regex for one path name or null for {@code **}. */
    private record Glob(List<Pattern> names) {}

    private final String text;
    private final List<Glob> globs;

    private AntPatterns(String text, List<Glob> globs) {
        this.text = text;
        this.globs = globs;
    }

    /** Parses comma-separated patterns; an empty text matches nothing. */
    public static AntPatterns of(String text) {
        List<Glob> list = new ArrayList<>();
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
                List<Pattern> names = new ArrayList<>();
                for (String name : t.split("/")) {
                    if (name.isEmpty()) {
                        continue;
                    }
                    names.add(name.equals("**") ? null : Pattern.compile(regex(name), Pattern.DOTALL));
                }
                list.add(new Glob(names));
            }
        }
        return new AntPatterns(text == null ? "" : text.trim(), List.copyOf(list));
    }

    public boolean isEmpty() {
        return globs.isEmpty();
    }

    /** Whether a relative path (with {@code /}) matches any of the patterns. */
    public boolean matches(String path) {
        List<String> names = names(path);
        for (Glob g : globs) {
            if (matches(g.names(), 0, names, 0, false)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether something below the directory could match: a walk need not enter a directory for
     * which this is false.
     */
    public boolean mayMatchBelow(String directory) {
        List<String> names = names(directory);
        for (Glob g : globs) {
            if (matches(g.names(), 0, names, 0, true)) {
                return true;
            }
        }
        return false;
    }

    /** Whether everything below the directory matches (a pattern such as {@code **}{@code /.git/**}). */
    public boolean matchesAllBelow(String directory) {
        List<String> names = names(directory);
        for (Glob g : globs) {
            List<Pattern> p = g.names();
            if (p.isEmpty() || p.get(p.size() - 1) != null) {
                continue;
            }
            // The names before the final ** matching the directory or one above it.
            for (int depth = 0; depth <= names.size(); depth++) {
                if (matches(p.subList(0, p.size() - 1), 0, names.subList(0, depth), 0, false)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return text;
    }

    private static List<String> names(String path) {
        List<String> names = new ArrayList<>();
        for (String name : path.split("/")) {
            if (!name.isEmpty()) {
                names.add(name);
            }
        }
        return names;
    }

    /**
     * Whether the pattern's names from {@code pi} match the path's names from {@code ni}; with
     * {@code prefix}, whether they could match a path that continues below the given one.
     */
    private static boolean matches(List<Pattern> pattern, int pi, List<String> path, int ni, boolean prefix) {
        if (ni == path.size()) {
            if (prefix) {
                return pi < pattern.size();
            }
            for (int i = pi; i < pattern.size(); i++) {
                if (pattern.get(i) != null) {
                    return false;
                }
            }
            return true;
        }
        if (pi == pattern.size()) {
            return false;
        }
        Pattern name = pattern.get(pi);
        if (name == null) {
            return matches(pattern, pi + 1, path, ni, prefix) || matches(pattern, pi, path, ni + 1, prefix);
        }
        return name.matcher(path.get(ni)).matches() && matches(pattern, pi + 1, path, ni + 1, prefix);
    }

    private static String regex(String glob) {
        StringBuilder r = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*') {
                r.append(".*");
            } else if (c == '?') {
                r.append('.');
            } else {
                r.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return r.toString();
    }
}
