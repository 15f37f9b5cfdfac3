package io.jenkins.plugins.wrenn.files;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Where files fetched from a capsule are written. The names it is given have been checked against
 * the rest of the archive ({@link SafeNames}); what the disk already holds is checked where the
 * files are written, by {@link ConfinedTarget}.
 */
public interface TargetDirectory {

    /** Opens a file for writing, creating its parent directories; the caller closes it. */
    OutputStream file(String relativePath, boolean executable) throws IOException;

    /** Creates a symbolic link, only if it cannot lead outside the directory. */
    void symlink(String relativePath, String target) throws IOException;

    /**
     * Creates {@code relativePath} as a hard link to the already written {@code existing} (a copy
     * only where the file system has no hard links).
     */
    void hardLink(String existing, String relativePath) throws IOException;

    /** Creates a directory and its parents. */
    void directory(String relativePath) throws IOException;
}
