package io.jenkins.plugins.wrenn.files;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks the names of one archive from a capsule before anything is written: no name and no link
 * may reach outside the target directory, whatever the capsule sends and in whatever order.
 *
 * <p>Names are checked lexically (no absolute paths, no {@code ..}, no backslash or drive), and
 * links by resolving their target from the link's directory. Since a link inside the directory
 * can still lead out when another link is passed through ({@code d -> .} and then
 * {@code e -> d/..}), no name and no link target may pass through a link of the same archive.
 * Names are compared for that as a case-insensitive file system (macOS, Windows) would: there
 * {@code a/x} passes through the link {@code A}.
 *
 * <p>These checks see only the archive; the disk is checked where the files are written
 * ({@link ConfinedTarget}).
 */
public final class SafeNames {

    private static final Pattern DRIVE = Pattern.compile("^[A-Za-z]:.*");

    /** A link of this archive: its name and the directories its target passes through, folded. */
    private record Link(String name, Set<String> passed) {}

    /** Links of this archive by folded path. */
    private final Map<String, Link> links = new HashMap<>();

    private final Set<String> files = new HashSet<>();

    /**
     * Returns the name of a file or directory relative to the target directory, without a
     * leading {@code ./}.
     *
     * @throws TransferException naming it when it is absolute, climbs with {@code ..}, uses a
     *     separator or drive another platform reads as leaving the directory, or passes through a
     *     link
     */
    public String file(String name) throws TransferException {
        String n = normalized(name);
        checkNotThroughLink(name, segments(n), segments(n).size() - 1);
        files.add(n);
        return n;
    }

    /**
     * Checks a symbolic link and returns its path relative to the target directory.
     *
     * @throws TransferException naming link and target when the target is absolute or leads out
     */
    public String link(String name, String target) throws TransferException {
        String n = normalized(name);
        List<String> at = segments(n);
        checkNotThroughLink(name, at, at.size() - 1);
        if (target.isEmpty()
                || target.startsWith("/")
                || DRIVE.matcher(target).matches()
                || target.indexOf('\\') >= 0) {
            throw outside(n, target);
        }
        List<String> resolved = new ArrayList<>(at.subList(0, at.size() - 1));
        Set<String> passed = new HashSet<>();
        for (String segment : target.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            String here = folded(String.join("/", resolved));
            if (links.containsKey(here)) {
                throw outside(n, target);
            }
            passed.add(here);
            if (segment.equals("..")) {
                if (resolved.isEmpty()) {
                    throw outside(n, target);
                }
                resolved.remove(resolved.size() - 1);
            } else {
                resolved.add(segment);
            }
        }
        // A link added now must not turn an earlier link's target into a path through a link.
        for (Link earlier : links.values()) {
            if (earlier.passed().contains(folded(n))) {
                throw new TransferException("Refused the symbolic link '" + earlier.name()
                        + "' from the capsule: it points outside the target directory through the link " + n);
            }
        }
        links.put(folded(n), new Link(n, passed));
        return n;
    }

    /**
     * Checks a hard link, which may only repeat a file of the same archive; returns its path.
     *
     * @throws TransferException naming it otherwise
     */
    public String hardLink(String name, String existing) throws TransferException {
        String n = file(name);
        String e;
        try {
            e = normalized(existing);
        } catch (TransferException bad) {
            throw new TransferException(
                    "Refused the hard link '" + name + "' -> '" + existing + "' from the capsule: " + bad.getMessage());
        }
        if (!files.contains(e)) {
            throw new TransferException("Refused the hard link '" + name + "' -> '" + existing
                    + "' from the capsule: it does not repeat a file of the same transfer");
        }
        return n;
    }

    /** The name of an earlier file of this archive, as {@link #hardLink} resolves it. */
    public static String existing(String name) throws TransferException {
        return normalized(name);
    }

    private void checkNotThroughLink(String name, List<String> segments, int parents) throws TransferException {
        for (int i = 1; i <= parents; i++) {
            Link link = links.get(folded(String.join("/", segments.subList(0, i))));
            if (link != null) {
                throw new TransferException("Refused the file name '" + name
                        + "' from the capsule: it passes through the symbolic link '" + link.name() + "'");
            }
        }
    }

    private static TransferException outside(String link, String target) {
        return new TransferException("Refused the symbolic link '" + link + "' -> '" + target
                + "' from the capsule: it points outside the target directory");
    }

    /** A path as a case-insensitive, Unicode-normalising file system finds it. */
    private static String folded(String path) {
        return Normalizer.normalize(path, Normalizer.Form.NFC).toLowerCase(Locale.ROOT);
    }

    private static List<String> segments(String normalized) {
        return List.of(normalized.split("/"));
    }

    private static String normalized(String name) throws TransferException {
        if (name.startsWith("/") || DRIVE.matcher(name).matches()) {
            throw new TransferException("Refused the file name '" + name
                    + "' from the capsule: it is absolute and would be written outside the target directory");
        }
        if (name.indexOf('\\') >= 0 || name.indexOf('\0') >= 0) {
            throw new TransferException("Refused the file name '" + name
                    + "' from the capsule: it contains a backslash or NUL, which could leave the target directory"
                    + " on Windows");
        }
        List<String> kept = new ArrayList<>();
        for (String segment : name.split("/")) {
            if (segment.equals("..")) {
                throw new TransferException("Refused the file name '" + name
                        + "' from the capsule: it contains '..' and would be written outside the target directory");
            }
            if (!segment.isEmpty() && !segment.equals(".")) {
                kept.add(segment);
            }
        }
        if (kept.isEmpty()) {
            throw new TransferException("Refused the file name '" + name + "' from the capsule: it names no file");
        }
        return String.join("/", kept);
    }
}
