package io.jenkins.plugins.wrenn.files;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;

/**
 * A directory on the machine that holds it, written so that nothing lands outside it, whatever
 * links the disk already holds (checked out by a pull request, left by an earlier transfer) and
 * whatever names and links an archive brings. It runs where the files are written, and does not
 * rely on the checks made before ({@link SafeNames}):
 *
 * <ul>
 *   <li>every directory on the way to an entry is walked one name at a time without following
 *       links; a name that is a link (or a Windows junction) is refused, a missing one is made,
 *       and the real path of the directory reached must lie inside the target's real path;
 *   <li>an existing file or link at the entry's own name is removed and the file is created anew
 *       ({@code CREATE_NEW}, no link followed), so a write never goes through a link or into a file
 *       that has another name elsewhere;
 *   <li>a link is created only when it cannot lead out: its target must be relative and stay
 *       inside when resolved from the link's directory; a link already on disk on its way is
 *       followed by its own text, which must stay inside as well (so a chain such as
 *       {@code libz.so -> libz.so.1} works in any order, and a checked-out link out is refused);
 *       and it is written in its shortest form ({@code ../} steps first, then names), so that no
 *       {@code x/..} in it can later be turned into a way out by making {@code x} a link.
 * </ul>
 *
 * <p>What other programs do to the directory while it is written is not guarded against: a
 * program that can change the disk meanwhile can already write wherever it likes.
 */
public final class ConfinedTarget implements TargetDirectory {

    /** As many links as the Linux kernel follows in one path before it gives up. */
    private static final int MAX_LINKS = 40;

    private static final FileAttribute<?>[] NO_ATTRIBUTES = new FileAttribute<?>[0];
    private static final Set<OpenOption> CREATE =
            Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);

    private final Path target;
    private final Path realTarget;

    private ConfinedTarget(Path target, Path realTarget) {
        this.target = target;
        this.realTarget = realTarget;
    }

    /**
     * The directory {@code into} below {@code trusted}, made when missing. {@code trusted} (the
     * workspace, chosen by Jenkins) is taken as it is; every name of {@code into} must be a
     * directory that is no link.
     *
     * @param into a relative path, or null or empty for {@code trusted} itself
     * @throws TransferException naming {@code into} and the link or file in its way
     */
    public static ConfinedTarget open(Path trusted, String into) throws IOException {
        Files.createDirectories(trusted);
        NoFollow.Refusal refusal = (walked, problem) -> new TransferException("into: '" + into + "': '" + walked
                + "' in the workspace " + problem.words()
                + "; files are only written into directories reached without links");
        Path target = NoFollow.made(trusted, NoFollow.names(into, refusal), refusal);
        Path real = target.toRealPath();
        if (!real.startsWith(trusted.toRealPath())) {
            throw new TransferException("into: '" + into + "' is " + real + " on disk, outside the workspace");
        }
        return new ConfinedTarget(target, real);
    }

    @Override
    public OutputStream file(String relativePath, boolean executable) throws IOException {
        List<String> names = entryNames(relativePath);
        Path file = parentDirectory(relativePath, names).resolve(NoFollow.last(names));
        clear(file, relativePath);
        boolean posix = file.getFileSystem().supportedFileAttributeViews().contains("posix");
        FileAttribute<?>[] mode = executable && posix
                ? new FileAttribute<?>[] {
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x"))
                }
                : NO_ATTRIBUTES;
        return Channels.newOutputStream(Files.newByteChannel(file, CREATE, mode));
    }

    @Override
    public void symlink(String relativePath, String linkTarget) throws IOException {
        List<String> names = entryNames(relativePath);
        List<String> from = NoFollow.parents(names);
        List<String> resolved = resolve(relativePath, from, linkTarget);
        Path dir = parentDirectory(relativePath, names);
        checkTheWay(relativePath, linkTarget, resolved);
        Path link = dir.resolve(NoFollow.last(names));
        clear(link, relativePath);
        Files.createSymbolicLink(link, link.getFileSystem().getPath(shortest(from, resolved)));
    }

    @Override
    public void hardLink(String existing, String relativePath) throws IOException {
        List<String> names = entryNames(existing);
        NoFollow.Refusal refusal = (walked, problem) -> new TransferException("Refused the hard link '" + relativePath
                + "' -> '" + existing + "' from the capsule: '" + walked + "' in the target directory "
                + problem.words());
        Path dir = NoFollow.existing(target, NoFollow.parents(names), refusal);
        if (dir == null) {
            throw refusal.of(existing, NoFollow.Problem.MISSING);
        }
        checkReal(dir, relativePath);
        Path source = dir.resolve(NoFollow.last(names));
        BasicFileAttributes a = NoFollow.attributes(source);
        if (a == null) {
            throw refusal.of(existing, NoFollow.Problem.MISSING);
        }
        NoFollow.Problem link = NoFollow.linkProblem(a);
        if (link != null) {
            throw refusal.of(existing, link);
        }
        if (!a.isRegularFile()) {
            throw new TransferException("Refused the hard link '" + relativePath + "' -> '" + existing
                    + "' from the capsule: '" + existing + "' is a directory, and a hard link repeats only a file");
        }
        List<String> linkNames = entryNames(relativePath);
        Path linkPath = parentDirectory(relativePath, linkNames).resolve(NoFollow.last(linkNames));
        BasicFileAttributes there = NoFollow.attributes(linkPath);
        if (there != null
                && there.isRegularFile()
                && NoFollow.linkProblem(there) == null
                && Files.isSameFile(source, linkPath)) {
            // Already that file (the same name, or another spelling of it on a case-insensitive disk).
            return;
        }
        clear(linkPath, relativePath);
        try {
            // A hard link, as tar makes it: a copy would let a 512-byte entry write the whole file
            // again, a thousand entries a thousand times its size to the agent's disk.
            Files.createLink(linkPath, source);
        } catch (UnsupportedOperationException | FileSystemException e) {
            // No hard links here (another file system below the target, or one without them).
            try (InputStream in = Files.newInputStream(source, LinkOption.NOFOLLOW_LINKS);
                    OutputStream out = file(relativePath, false)) {
                in.transferTo(out);
            }
        }
    }

    @Override
    public void directory(String relativePath) throws IOException {
        Path dir = NoFollow.made(target, entryNames(relativePath), entryRefusal(relativePath));
        checkReal(dir, relativePath);
    }

    /** The directory an entry goes into, made when missing, checked to be inside on disk. */
    private Path parentDirectory(String entry, List<String> names) throws IOException {
        Path dir = NoFollow.made(target, NoFollow.parents(names), entryRefusal(entry));
        checkReal(dir, entry);
        return dir;
    }

    private void checkReal(Path dir, String entry) throws IOException {
        Path real = dir.toRealPath();
        if (!real.startsWith(realTarget)) {
            throw new TransferException("Refused '" + entry + "' from the capsule: its directory is " + real
                    + " on disk, outside the target directory " + realTarget);
        }
    }

    private static List<String> entryNames(String entry) throws IOException {
        List<String> names = NoFollow.names(entry, entryRefusal(entry));
        if (names.isEmpty()) {
            throw new TransferException("Refused the file name '" + entry + "' from the capsule: it names no file");
        }
        return names;
    }

    private static NoFollow.Refusal entryRefusal(String entry) {
        return (walked, problem) -> problem == NoFollow.Problem.LEAVES
                ? new TransferException("Refused the file name '" + entry + "' from the capsule: it " + problem.words())
                : new TransferException("Refused '" + entry + "' from the capsule: '" + walked
                        + "' in the target directory " + problem.words()
                        + ", and nothing is written through a link or in place of a directory");
    }

    /** Removes a file or link that stands at an entry's name; a directory there fails the entry. */
    private static void clear(Path p, String entry) throws IOException {
        BasicFileAttributes a = NoFollow.attributes(p);
        if (a == null) {
            return;
        }
        if (a.isDirectory() && NoFollow.linkProblem(a) == null) {
            throw new TransferException("Could not write '" + entry
                    + "' from the capsule: the target directory holds a directory of that name");
        }
        Files.delete(p);
    }

    /**
     * Where a link's target leads, as names below the target directory.
     *
     * @throws TransferException when it is absolute or leads out
     */
    private static List<String> resolve(String link, List<String> from, String linkTarget) throws TransferException {
        TransferException outside = new TransferException("Refused the symbolic link '" + link + "' -> '" + linkTarget
                + "' from the capsule: it points outside the target directory");
        if (linkTarget.isEmpty()
                || linkTarget.startsWith("/")
                || linkTarget.indexOf('\\') >= 0
                || linkTarget.indexOf('\0') >= 0
                || linkTarget.matches("^[A-Za-z]:.*")) {
            throw outside;
        }
        List<String> resolved = new ArrayList<>(from);
        for (String name : linkTarget.split("/")) {
            if (name.equals("..")) {
                if (resolved.isEmpty()) {
                    throw outside;
                }
                resolved.remove(resolved.size() - 1);
            } else if (!name.isEmpty() && !name.equals(".")) {
                resolved.add(name);
            }
        }
        return resolved;
    }

    /**
     * Follows the link's way over what the disk holds now, as the kernel would but without leaving
     * the target directory: a link met on the way (one checked out, say) is followed by its text,
     * which must stay inside too; a missing name ends the way, since nothing below it exists yet.
     */
    private void checkTheWay(String link, String linkTarget, List<String> resolved) throws IOException {
        Deque<String> way = new ArrayDeque<>(resolved);
        List<String> at = new ArrayList<>();
        int links = 0;
        // The link whose text is being followed: only a link's text can climb with "..".
        String via = "";
        while (!way.isEmpty()) {
            String name = way.removeFirst();
            if (name.equals("..")) {
                if (at.isEmpty()) {
                    throw leadsOut(link, linkTarget, via);
                }
                at.remove(at.size() - 1);
                continue;
            }
            Path here = target;
            for (String a : at) {
                here = here.resolve(a);
            }
            here = here.resolve(name);
            BasicFileAttributes a = NoFollow.attributes(here);
            if (a == null || (!a.isDirectory() && NoFollow.linkProblem(a) == null)) {
                // Nothing more on disk, or a file: the rest of the way does not exist now.
                return;
            }
            String walked = at.isEmpty() ? name : String.join("/", at) + "/" + name;
            NoFollow.Problem problem = NoFollow.linkProblem(a);
            if (problem == NoFollow.Problem.OTHER_LINK || (problem != null && ++links > MAX_LINKS)) {
                throw leadsOut(link, linkTarget, walked);
            }
            if (problem != null) {
                String text = here.getFileSystem().getSeparator().equals("/")
                        ? Files.readSymbolicLink(here).toString()
                        : Files.readSymbolicLink(here)
                                .toString()
                                .replace(here.getFileSystem().getSeparator(), "/");
                if (text.startsWith("/") || text.matches("^[A-Za-z]:.*")) {
                    throw leadsOut(link, linkTarget, walked);
                }
                List<String> inner = new ArrayList<>();
                for (String n : text.split("/")) {
                    if (!n.isEmpty() && !n.equals(".")) {
                        inner.add(n);
                    }
                }
                for (int i = inner.size() - 1; i >= 0; i--) {
                    way.addFirst(inner.get(i));
                }
                via = walked;
                continue;
            }
            at.add(name);
        }
    }

    private static TransferException leadsOut(String link, String linkTarget, String walked) {
        return new TransferException("Refused the symbolic link '" + link + "' -> '" + linkTarget
                + "' from the capsule: on its way, '" + walked + "' in the target directory is a link that leads"
                + " outside it");
    }

    /** The target written as {@code ../} steps from the link's directory, then names: never {@code x/..}. */
    private static String shortest(List<String> from, List<String> resolved) {
        int common = 0;
        while (common < from.size()
                && common < resolved.size()
                && from.get(common).equals(resolved.get(common))) {
            common++;
        }
        StringBuilder text = new StringBuilder("../".repeat(from.size() - common));
        text.append(String.join("/", resolved.subList(common, resolved.size())));
        if (text.length() == 0) {
            return ".";
        }
        return text.charAt(text.length() - 1) == '/' ? text.substring(0, text.length() - 1) : text.toString();
    }
}
