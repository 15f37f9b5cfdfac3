package io.jenkins.plugins.wrenn.files;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * The files of a directory on the machine that holds it, listed and read for {@code wrennPut}
 * without following any link, so that nothing outside the directory is ever read: a link is
 * listed as a link with its target text (and sent as such), a directory link is not entered, and
 * the directory named by {@code dir} must be reached without links. Windows junctions are neither
 * entered nor sent; devices, pipes and sockets are not sent.
 */
public final class SourceTree {

    /**
     * Ant's default excludes, which {@code FilePath.list} and so {@code archiveArtifacts} apply:
     * version control data and editor left-overs.
     */
    static final AntPatterns DEFAULT_EXCLUDES = AntPatterns.of(String.join(
            ",",
            "**/*~",
            "**/#*#",
            "**/.#*",
            "**/%*%",
            "**/._*",
            "**/CVS/**",
            "**/.cvsignore",
            "**/SCCS/**",
            "**/vssver.scc",
            "**/.svn/**",
            "**/.git/**",
            "**/.gitattributes",
            "**/.gitignore",
            "**/.gitmodules",
            "**/.hg/**",
            "**/.hgignore",
            "**/.hgsub",
            "**/.hgsubstate",
            "**/.hgtags",
            "**/.bzr/**",
            "**/.bzrignore",
            "**/.DS_Store"));

    /** What was found where the files were looked for. */
    public enum Found {
        /** The directory exists; the entries are the files that matched (possibly none). */
        DIRECTORY,
        /** The workspace itself does not exist yet: nothing has been checked out into it. */
        NO_WORKSPACE,
        /** The workspace exists, the directory below it does not (or is a file). */
        NO_DIRECTORY
    }

    /**
     * A file or link to send.
     *
     * @param path below the listed directory, with {@code /}
     * @param size the content's size; 0 for a link
     * @param executable whether the owner may execute it
     * @param linkTarget the link's target text, or null for a regular file
     */
    public record Entry(String path, long size, boolean executable, String linkTarget) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /**
     * What a listing found, as it travels from an agent to the controller (an array: remoting's
     * class filter refuses the JDK's immutable lists).
     *
     * @param entries sorted by path
     */
    public record Listing(Found found, Entry[] entries) implements Serializable {
        private static final long serialVersionUID = 1L;

        public Listing {
            entries = entries.clone();
        }

        @Override
        public Entry[] entries() {
            return entries.clone();
        }
    }

    /** Opens the content of a listed file, wherever it is. */
    @FunctionalInterface
    public interface Opener {
        InputStream open(String path) throws IOException;
    }

    private SourceTree() {}

    /**
     * Lists the files and links below {@code dir} that match the patterns (and not Ant's default
     * excludes), without following links.
     *
     * @param workspace trusted as it is
     * @param dir relative to the workspace, or null for the workspace itself
     * @throws TransferException naming {@code dir} when a link is on its way
     */
    public static Listing list(Path workspace, String dir, String includes, String excludes) throws IOException {
        if (!Files.isDirectory(workspace)) {
            return new Listing(Files.exists(workspace) ? Found.NO_DIRECTORY : Found.NO_WORKSPACE, new Entry[0]);
        }
        Path base = NoFollow.existing(workspace, NoFollow.names(dir, dirRefusal(dir)), dirRefusal(dir));
        if (base == null) {
            return new Listing(Found.NO_DIRECTORY, new Entry[0]);
        }
        AntPatterns in = AntPatterns.of(includes);
        AntPatterns out = AntPatterns.of(excludes);
        boolean posix = base.getFileSystem().supportedFileAttributeViews().contains("posix");
        List<Entry> entries = new ArrayList<>();
        Files.walkFileTree(base, Set.of(), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) {
                if (d.equals(base)) {
                    return FileVisitResult.CONTINUE;
                }
                String rel = relative(base, d);
                // A junction reads as a directory and would be entered: it is a link, so it is not.
                boolean skip = a.isOther()
                        || !in.mayMatchBelow(rel)
                        || out.matchesAllBelow(rel)
                        || DEFAULT_EXCLUDES.matchesAllBelow(rel);
                return skip ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                String rel = relative(base, f);
                if (!in.matches(rel) || out.matches(rel) || DEFAULT_EXCLUDES.matches(rel)) {
                    return FileVisitResult.CONTINUE;
                }
                if (a.isSymbolicLink()) {
                    String target = Files.readSymbolicLink(f).toString();
                    entries.add(new Entry(rel, 0, false, separatorsAsSlashes(f, target)));
                } else if (a.isRegularFile()) {
                    entries.add(new Entry(rel, a.size(), posix && ownerMayExecute(f), null));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                throw new TransferException(
                        "Could not read " + relative(base, f) + " to list the files to send: " + e, e);
            }
        });
        entries.sort(Comparator.comparing(Entry::path));
        return new Listing(Found.DIRECTORY, entries.toArray(new Entry[0]));
    }

    /**
     * Opens a listed regular file below {@code dir} for reading, without following any link on
     * its way or at its name.
     *
     * @throws TransferException naming it when it has become a link since it was listed
     */
    public static InputStream open(Path workspace, String dir, String path) throws IOException {
        NoFollow.Refusal refusal = (walked, problem) -> new TransferException(
                "Did not send " + path + ": '" + walked + "' " + problem.words() + " since the files were listed");
        List<String> names = new ArrayList<>(NoFollow.names(dir, dirRefusal(dir)));
        int dirNames = names.size();
        names.addAll(NoFollow.names(path, refusal));
        if (names.size() == dirNames) {
            throw refusal.of(path, NoFollow.Problem.MISSING);
        }
        Path parent = NoFollow.existing(workspace, NoFollow.parents(names), refusal);
        if (parent == null) {
            throw refusal.of(path, NoFollow.Problem.MISSING);
        }
        Path file = parent.resolve(NoFollow.last(names));
        BasicFileAttributes a = NoFollow.attributes(file);
        if (a == null) {
            throw refusal.of(path, NoFollow.Problem.MISSING);
        }
        NoFollow.Problem link = NoFollow.linkProblem(a);
        if (link != null) {
            throw refusal.of(path, link);
        }
        return Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS);
    }

    /** The files of a listing as the transfer sends them, their content opened by {@code opener}. */
    public static List<SourceFile> files(Listing listing, Opener opener) {
        List<SourceFile> files = new ArrayList<>();
        for (Entry e : listing.entries()) {
            files.add(new Listed(e, opener));
        }
        return files;
    }

    private record Listed(Entry entry, Opener opener) implements SourceFile {
        @Override
        public String relativePath() {
            return entry.path();
        }

        @Override
        public long size() {
            return entry.size();
        }

        @Override
        public boolean executable() {
            return entry.executable();
        }

        @Override
        public String linkTarget() {
            return entry.linkTarget();
        }

        @Override
        public InputStream open() throws IOException {
            return opener.open(entry.path());
        }
    }

    private static NoFollow.Refusal dirRefusal(String dir) {
        return (walked, problem) -> new TransferException("dir: '" + dir + "': '" + walked + "' in the workspace "
                + problem.words() + "; files are only sent from directories reached without links");
    }

    private static String relative(Path base, Path p) {
        StringBuilder rel = new StringBuilder();
        for (Path name : base.relativize(p)) {
            rel.append(rel.length() == 0 ? "" : "/").append(name);
        }
        return rel.toString();
    }

    /** A link's target as the capsule reads it: Windows writes backslashes. */
    private static String separatorsAsSlashes(Path link, String target) {
        String separator = link.getFileSystem().getSeparator();
        return separator.equals("/") ? target : target.replace(separator, "/");
    }

    private static boolean ownerMayExecute(Path f) throws IOException {
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(f, LinkOption.NOFOLLOW_LINKS);
        return permissions.contains(PosixFilePermission.OWNER_EXECUTE);
    }
}
