package io.jenkins.plugins.wrenn.files;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Files of a local directory as the transfer engine takes them, for tests and the benchmark: the
 * same listing, reading and writing the steps run on the machine that holds the workspace.
 */
public final class LocalFiles {

    private LocalFiles() {}

    /** The files and links below {@code dir} matching the patterns, in path order. */
    public static List<SourceFile> select(Path dir, String includes, String excludes) throws IOException {
        return SourceTree.files(
                SourceTree.list(dir, null, includes, excludes), path -> SourceTree.open(dir, null, path));
    }

    /** Writes into {@code dir} as {@code wrennGet} does. */
    public static TargetDirectory target(Path dir) throws IOException {
        return ConfinedTarget.open(dir, null);
    }
}
