package io.jenkins.plugins.wrenn.files;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * Walks down from a directory one name at a time without following any link: the file system
 * itself answers, for each name, whether it is a link (so a case-insensitive file system that
 * finds {@code A} for {@code a} says that {@code a} is the link {@code A}). Used on the machine
 * that holds the files, where they are read and written.
 */
final class NoFollow {

    /** What stands in the way of a walk, in words that complete "'x' ... ". */
    enum Problem {
        LINK("is a symbolic link"),
        /** Java's "other": a Windows junction, but also a pipe, socket or device. */
        OTHER_LINK("is a junction, a pipe, a socket or a device, not a plain file or directory"),
        NOT_A_DIRECTORY("is not a directory"),
        MISSING("does not exist"),
        LEAVES("is absolute or climbs with .., and would leave the directory");

        private final String words;

        Problem(String words) {
            this.words = words;
        }

        String words() {
            return words;
        }
    }

    /** Turns a problem at a name (the path walked so far, with {@code /}) into the exception to throw. */
    @FunctionalInterface
    interface Refusal {
        IOException of(String walked, Problem problem);
    }

    private NoFollow() {}

    /** The attributes of the name itself, never of what it links to; null when nothing has that name. */
    static BasicFileAttributes attributes(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * Whether the name is a link of any kind, or something else no walk may pass or open. Windows
     * junctions are directories that Java does not call symbolic links: it reports them as "other",
     * as it does pipes, sockets and devices (a pipe opened to read or write blocks).
     */
    static Problem linkProblem(BasicFileAttributes a) {
        if (a.isSymbolicLink()) {
            return Problem.LINK;
        }
        return a.isOther() ? Problem.OTHER_LINK : null;
    }

    /**
     * The names of a relative path with {@code /} separators, without empty and {@code .} names.
     *
     * @throws IOException from {@code refusal} when the path is absolute or has a {@code ..},
     *     backslash, NUL or drive letter: such a path never reaches here from the checks before, so
     *     this only keeps a caller's mistake from leaving the directory
     */
    static List<String> names(String relative, Refusal refusal) throws IOException {
        List<String> names = new ArrayList<>();
        if (relative == null) {
            return names;
        }
        if (relative.startsWith("/")
                || relative.indexOf('\\') >= 0
                || relative.indexOf('\0') >= 0
                || relative.matches("^[A-Za-z]:.*")) {
            throw refusal.of(relative, Problem.LEAVES);
        }
        for (String name : relative.split("/")) {
            if (name.equals("..")) {
                throw refusal.of(relative, Problem.LEAVES);
            }
            if (!name.isEmpty() && !name.equals(".")) {
                names.add(name);
            }
        }
        return names;
    }

    /**
     * Walks {@code names} down from {@code from}, which is trusted as it is, making the missing
     * directories. Every name on the way must be a directory that is no link.
     */
    static Path made(Path from, List<String> names, Refusal refusal) throws IOException {
        Path here = from;
        StringBuilder walked = new StringBuilder();
        for (String name : names) {
            here = here.resolve(name);
            walked.append(walked.length() == 0 ? "" : "/").append(name);
            BasicFileAttributes a = attributes(here);
            if (a == null) {
                try {
                    Files.createDirectory(here);
                } catch (FileAlreadyExistsException e) {
                    // Made meanwhile, or a name that differs only in case on a case-insensitive
                    // file system: look again at what is there.
                }
                a = attributes(here);
                if (a == null) {
                    throw refusal.of(walked.toString(), Problem.MISSING);
                }
            }
            Problem link = linkProblem(a);
            if (link != null) {
                throw refusal.of(walked.toString(), link);
            }
            if (!a.isDirectory()) {
                throw refusal.of(walked.toString(), Problem.NOT_A_DIRECTORY);
            }
        }
        return here;
    }

    /**
     * Walks {@code names} down from {@code from}, which is trusted as it is. A name on the way that
     * is a link is refused; returns null when a name is missing or not a directory.
     */
    static Path existing(Path from, List<String> names, Refusal refusal) throws IOException {
        Path here = from;
        StringBuilder walked = new StringBuilder();
        for (String name : names) {
            here = here.resolve(name);
            walked.append(walked.length() == 0 ? "" : "/").append(name);
            BasicFileAttributes a = attributes(here);
            if (a == null) {
                return null;
            }
            Problem link = linkProblem(a);
            if (link != null) {
                throw refusal.of(walked.toString(), link);
            }
            if (!a.isDirectory()) {
                return null;
            }
        }
        return here;
    }

    /** The last name of a path that has at least one. */
    static String last(List<String> names) {
        return names.get(names.size() - 1);
    }

    /** All names but the last. */
    static List<String> parents(List<String> names) {
        return names.subList(0, names.size() - 1);
    }
}
