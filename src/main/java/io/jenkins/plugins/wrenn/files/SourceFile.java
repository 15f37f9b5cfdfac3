package io.jenkins.plugins.wrenn.files;

import java.io.IOException;
import java.io.InputStream;

/**
 * A file or symbolic link to send into a capsule: where it goes below the target directory, and
 * its content or link target.
 */
public interface SourceFile {

    /** The path below the target directory, with {@code /} separators and no {@code ..}. */
    String relativePath();

    /** The size the archive announces; content of another length fails the transfer. 0 for a link. */
    long size();

    /** Whether the file is sent with the executable bit. */
    boolean executable();

    /** The target text of a symbolic link, sent as a link (its target is never read); null for a file. */
    String linkTarget();

    /** Opens the content; called once, when the archive reaches the file, and never for a link. */
    InputStream open() throws IOException;
}
