package io.jenkins.plugins.wrenn;

import hudson.AbortException;
import hudson.FilePath;
import hudson.model.TaskListener;
import hudson.remoting.VirtualChannel;
import io.jenkins.plugins.wrenn.files.SourceFile;
import io.jenkins.plugins.wrenn.files.TargetDirectory;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import jenkins.MasterToSlaveFileCallable;

/**
 * The workspace side of {@code wrennPut} and {@code wrennGet}: workspace files as the transfer
 * engine reads them and a workspace directory as it writes into, through {@link FilePath}, so
 * the bytes stream between the agent and the controller and are never held whole.
 */
final class WorkspaceFiles {

    private WorkspaceFiles() {}

    /**
     * A workspace path as a step parameter gives it, refused when it would leave the workspace
     * (absolute, a drive letter, or a {@code ..} segment): on the built-in node that would reach the
     * controller's own files.
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
     * The files below {@code base} that match the Ant patterns (default excludes apply, as in
     * {@code archiveArtifacts}). Their sizes and executable bits are read in one call to the node
     * that holds them, not two per file: on an agent each call is a round trip.
     */
    static List<SourceFile> select(FilePath base, String includes, String excludes)
            throws IOException, InterruptedException {
        String root = base.getRemote();
        FilePath[] found = base.list(includes, excludes);
        String[] relative = new String[found.length];
        for (int i = 0; i < found.length; i++) {
            String remote = found[i].getRemote();
            String rel = remote.startsWith(root) ? remote.substring(root.length()) : remote;
            while (rel.startsWith("/") || rel.startsWith("\\")) {
                rel = rel.substring(1);
            }
            relative[i] = rel;
        }
        FileFacts facts = found.length == 0 ? new FileFacts(new long[0], new boolean[0]) : base.act(new Stat(relative));
        List<SourceFile> files = new ArrayList<>();
        for (int i = 0; i < found.length; i++) {
            files.add(new Source(found[i], relative[i].replace('\\', '/'), facts.sizes()[i], facts.executable()[i]));
        }
        return files;
    }

    /** Sizes and owner-executable bits of files, by index. */
    record FileFacts(long[] sizes, boolean[] executable) implements Serializable {}

    /** Reads {@link FileFacts} on the node that holds the files, for paths relative to the directory. */
    static final class Stat extends MasterToSlaveFileCallable<FileFacts> {
        private static final long serialVersionUID = 1L;

        private final String[] relativePaths;

        Stat(String[] relativePaths) {
            this.relativePaths = relativePaths;
        }

        @Override
        public FileFacts invoke(File dir, VirtualChannel channel) throws IOException {
            long[] sizes = new long[relativePaths.length];
            boolean[] executable = new boolean[relativePaths.length];
            for (int i = 0; i < relativePaths.length; i++) {
                Path p = dir.toPath().resolve(relativePaths[i]);
                sizes[i] = Files.size(p);
                executable[i] = ownerMayExecute(p);
            }
            return new FileFacts(sizes, executable);
        }

        private static boolean ownerMayExecute(Path p) throws IOException {
            try {
                return Files.getPosixFilePermissions(p).contains(PosixFilePermission.OWNER_EXECUTE);
            } catch (UnsupportedOperationException e) {
                // Windows: no such bit, as FilePath.mode() answers -1 there.
                return false;
            }
        }
    }

    /** A workspace directory as the engine writes fetched files into it. */
    static TargetDirectory into(FilePath dir, TaskListener listener) {
        return new TargetDirectory() {
            /** Directories made or known to exist: each mkdirs on an agent is a round trip. */
            private final Set<String> made = new HashSet<>();

            /** Null is a root, which has nothing to make (FilePath.getParent is @CheckForNull for it). */
            private void mkdirsOnce(FilePath d) throws IOException, InterruptedException {
                if (d != null && made.add(d.getRemote())) {
                    d.mkdirs();
                }
            }

            @Override
            public OutputStream file(String relativePath, boolean executable) throws IOException {
                FilePath f = dir.child(relativePath);
                try {
                    mkdirsOnce(f.getParent());
                    OutputStream out = f.write();
                    if (executable) {
                        f.chmod(0755);
                    }
                    return out;
                } catch (InterruptedException e) {
                    throw interrupted(e);
                }
            }

            @Override
            public void symlink(String relativePath, String target) throws IOException {
                FilePath f = dir.child(relativePath);
                try {
                    mkdirsOnce(f.getParent());
                    f.symlinkTo(target, listener);
                } catch (InterruptedException e) {
                    throw interrupted(e);
                }
            }

            @Override
            public void copy(String existing, String relativePath) throws IOException {
                try {
                    dir.child(existing).copyTo(dir.child(relativePath));
                } catch (InterruptedException e) {
                    throw interrupted(e);
                }
            }

            @Override
            public void directory(String relativePath) throws IOException {
                try {
                    mkdirsOnce(dir.child(relativePath));
                } catch (InterruptedException e) {
                    throw interrupted(e);
                }
            }
        };
    }

    /** Keeps the interrupt for the step (an abort) while the engine's interface takes only IOException. */
    private static IOException interrupted(InterruptedException e) {
        Thread.currentThread().interrupt();
        return new java.io.InterruptedIOException("interrupted while writing into the workspace");
    }

    /** How the log names a directory and the patterns that selected from it. */
    static String selection(String where, String includes, String excludes) {
        return where + " matching '" + includes + "'" + (excludes == null ? "" : " (excluding '" + excludes + "')");
    }

    private record Source(FilePath file, String relativePath, long size, boolean executable) implements SourceFile {
        @Override
        public InputStream open() throws IOException {
            try {
                return file.read();
            } catch (InterruptedException e) {
                throw interrupted(e);
            }
        }
    }
}
