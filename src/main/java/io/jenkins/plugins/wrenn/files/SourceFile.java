package io.jenkins.plugins.wrenn.files;

import java.io.IOException;
import java.io.InputStream;

/** A file to send into a capsule: where it goes below the target directory, and its content. */
public interface SourceFile {

    /** The path below the target directory, with {@code /} separators and no {@code ..}. */
    String relativePath();

    /** The size the archive announces; content of another length fails the transfer. */
    long size();

    /** Whether the file is sent with the executable bit. */
    boolean executable();

    /** Opens the content; called once, when the archive reaches the file. */
    InputStream open() throws IOException;
}
