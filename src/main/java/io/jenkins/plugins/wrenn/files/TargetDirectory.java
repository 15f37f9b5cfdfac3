package io.jenkins.plugins.wrenn.files;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Where files fetched from a capsule are written. Every path it is given has already been checked
 * to stay below the directory ({@link SafeNames}); it only writes.
 */
public interface TargetDirectory {

    /** Opens a file for writing, creating its parent directories; the caller closes it. */
    OutputStream file(String relativePath, boolean executable) throws IOException;

    /** Creates a symbolic link whose target has been checked to stay below the directory. */
    void symlink(String relativePath, String target) throws IOException;

    /** Creates {@code relativePath} as a copy of the already written {@code existing}. */
    void copy(String existing, String relativePath) throws IOException;

    /** Creates a directory and its parents. */
    void directory(String relativePath) throws IOException;
}
