package io.jenkins.plugins.wrenn;

import hudson.AbortException;
import hudson.FilePath;
import hudson.model.TaskListener;
import io.jenkins.plugins.wrenn.files.SourceFile;
import io.jenkins.plugins.wrenn.files.TargetDirectory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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

    /** The files below {@code base} that match the Ant patterns (default excludes apply, as in {@code archiveArtifacts}). */
    static List<SourceFile> select(FilePath base, String includes, String excludes)
            throws IOException, InterruptedException {
        String root = base.getRemote();
        List<SourceFile> files = new ArrayList<>();
        for (FilePath f : base.list(includes, excludes)) {
            String remote = f.getRemote();
            String rel = remote.startsWith(root) ? remote.substring(root.length()) : f.getRemote();
            while (rel.startsWith("/") || rel.startsWith("\\")) {
                rel = rel.substring(1);
            }
            int mode = f.mode();
            files.add(new Source(f, rel.replace('\\', '/'), f.length(), mode >= 0 && (mode & 0100) != 0));
        }
        return files;
    }

    /** A workspace directory as the engine writes fetched files into it. */
    static TargetDirectory into(FilePath dir, TaskListener listener) {
        return new TargetDirectory() {
            @Override
            public OutputStream file(String relativePath, boolean executable) throws IOException {
                FilePath f = dir.child(relativePath);
                try {
                    f.getParent().mkdirs();
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
                    f.getParent().mkdirs();
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
                    dir.child(relativePath).mkdirs();
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
