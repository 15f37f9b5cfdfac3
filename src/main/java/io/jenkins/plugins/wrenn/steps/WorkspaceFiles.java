package io.jenkins.plugins.wrenn.steps;

import hudson.AbortException;
import hudson.FilePath;
import hudson.remoting.RemoteInputStream;
import hudson.remoting.RemoteOutputStream;
import hudson.remoting.VirtualChannel;
import io.jenkins.plugins.wrenn.files.ConfinedTarget;
import io.jenkins.plugins.wrenn.files.SourceFile;
import io.jenkins.plugins.wrenn.files.SourceTree;
import io.jenkins.plugins.wrenn.files.TargetDirectory;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;
import jenkins.MasterToSlaveFileCallable;

/**
 * The workspace side of {@code wrennPut} and {@code wrennGet}: callables that list, read and write
 * on the node that holds the workspace, with {@link SourceTree} and {@link ConfinedTarget}, so that
 * every check of a link happens where the files are, and the bytes stream between the node and
 * the controller without being held whole. {@code FilePath}'s own {@code list}, {@code read},
 * {@code write}, {@code mkdirs} and {@code symlinkTo} follow links, so none of them is used.
 */
final class WorkspaceFiles {

    private WorkspaceFiles() {}

    /**
     * A workspace path as a step parameter gives it, refused when it would leave the workspace
     * (absolute, a drive letter, or a {@code ..} segment): on the built-in node that would reach the
     * controller's own files. Links on its way are refused where the files are.
     *
     * @throws AbortException naming the parameter
     */
    static String insideWorkspace(String parameter, String path) throws AbortException {
        String p = path.replace('\\', '/');
        boolean outside = p.startsWith("/")
                || p.matches("^[A-Za-z]:.*")
                || Arrays.asList(p.split("/")).contains("..");
        if (outside) {
            throw new AbortException(Messages.WorkspaceFiles_OutsideWorkspace(parameter, path));
        }
        return path;
    }

    /**
     * The files and links below {@code dir} that match the patterns, with their sizes and
     * executable bits, in one call to the node that holds them.
     */
    static SourceTree.Listing list(FilePath workspace, String dir, String includes, String excludes)
            throws IOException, InterruptedException {
        return workspace.act(new ListFiles(dir, includes, excludes));
    }

    /** The listed files as the transfer sends them: each read on its node when the archive reaches it. */
    static List<SourceFile> sources(FilePath workspace, String dir, SourceTree.Listing listing) {
        return SourceTree.files(listing, path -> {
            try {
                return workspace.act(new ReadFile(dir, path));
            } catch (InterruptedException e) {
                throw interrupted(e);
            }
        });
    }

    /** The directory {@code into} of the workspace as the transfer writes fetched files into it. */
    static TargetDirectory into(FilePath workspace, String into) {
        return new NodeTarget(workspace, into);
    }

    /** Lists with {@link SourceTree#list} on the node that holds the workspace. */
    static final class ListFiles extends MasterToSlaveFileCallable<SourceTree.Listing> {
        private static final long serialVersionUID = 1L;

        private final String dir;
        private final String includes;
        private final String excludes;

        ListFiles(String dir, String includes, String excludes) {
            this.dir = dir;
            this.includes = includes;
            this.excludes = excludes;
        }

        @Override
        public SourceTree.Listing invoke(File workspace, VirtualChannel channel) throws IOException {
            return SourceTree.list(workspace.toPath(), dir, includes, excludes);
        }
    }

    /** Opens a listed file with {@link SourceTree#open} on its node; the bytes stream to the caller as read. */
    static final class ReadFile extends MasterToSlaveFileCallable<InputStream> {
        private static final long serialVersionUID = 1L;

        private final String dir;
        private final String path;

        ReadFile(String dir, String path) {
            this.dir = dir;
            this.path = path;
        }

        @Override
        public InputStream invoke(File workspace, VirtualChannel channel) throws IOException {
            return new RemoteInputStream(SourceTree.open(workspace.toPath(), dir, path), RemoteInputStream.Flag.GREEDY);
        }
    }

    /**
     * Every write of {@code wrennGet}, each made on the node that holds the workspace by a
     * {@link ConfinedTarget}: the one place where links on disk are checked before anything is
     * written.
     */
    static final class Write extends MasterToSlaveFileCallable<OutputStream> {
        private static final long serialVersionUID = 1L;

        /** What to write. */
        enum Kind {
            FILE,
            EXECUTABLE_FILE,
            SYMLINK,
            HARD_LINK,
            DIRECTORY
        }

        private final String into;
        private final Kind kind;
        private final String path;
        private final String other;

        /**
         * @param into the target directory, relative to the workspace; null for the workspace
         * @param path the entry, relative to {@code into}
         * @param other the link's target for {@link Kind#SYMLINK}, the file to link to for {@link Kind#COPY}
         */
        Write(String into, Kind kind, String path, String other) {
            this.into = into;
            this.kind = kind;
            this.path = path;
            this.other = other;
        }

        /** Returns the stream to write a file's content to; null for the kinds that write no content. */
        @Override
        public OutputStream invoke(File workspace, VirtualChannel channel) throws IOException {
            ConfinedTarget target = ConfinedTarget.open(workspace.toPath(), into);
            switch (kind) {
                case FILE, EXECUTABLE_FILE -> {
                    return new RemoteOutputStream(target.file(path, kind == Kind.EXECUTABLE_FILE));
                }
                case SYMLINK -> target.symlink(path, other);
                case HARD_LINK -> target.hardLink(other, path);
                case DIRECTORY -> target.directory(path);
            }
            return null;
        }
    }

    /** Sends each write to the node that holds the workspace: one round trip per entry. */
    private static final class NodeTarget implements TargetDirectory {
        private final FilePath workspace;
        private final String into;

        NodeTarget(FilePath workspace, String into) {
            this.workspace = workspace;
            this.into = into;
        }

        @Override
        public OutputStream file(String relativePath, boolean executable) throws IOException {
            Write.Kind kind = executable ? Write.Kind.EXECUTABLE_FILE : Write.Kind.FILE;
            OutputStream out = act(new Write(into, kind, relativePath, null));
            if (out == null) {
                throw new IOException("The workspace's node gave no stream to write " + relativePath + " to");
            }
            return out;
        }

        @Override
        public void symlink(String relativePath, String target) throws IOException {
            act(new Write(into, Write.Kind.SYMLINK, relativePath, target));
        }

        @Override
        public void hardLink(String existing, String relativePath) throws IOException {
            act(new Write(into, Write.Kind.HARD_LINK, relativePath, existing));
        }

        @Override
        public void directory(String relativePath) throws IOException {
            act(new Write(into, Write.Kind.DIRECTORY, relativePath, null));
        }

        private OutputStream act(Write write) throws IOException {
            try {
                return workspace.act(write);
            } catch (InterruptedException e) {
                throw interrupted(e);
            }
        }
    }

    /** Keeps the interrupt for the step (an abort) while the engine's interfaces take only IOException. */
    private static IOException interrupted(InterruptedException e) {
        Thread.currentThread().interrupt();
        InterruptedIOException io = new InterruptedIOException("interrupted while moving files in the workspace");
        io.initCause(e);
        return io;
    }

    /** How the log names a directory and the patterns that selected from it. */
    static String selection(String where, String includes, String excludes) {
        return where + " matching '" + includes + "'" + (excludes == null ? "" : " (excluding '" + excludes + "')");
    }
}
