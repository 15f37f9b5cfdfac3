package io.jenkins.plugins.wrenn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one call that reads the sizes and executable bits of the files {@code wrennPut} sends. */
class WorkspaceFilesTest {

    @TempDir
    Path workspace;

    @Test
    void sizesAndOwnerExecutableBitsComeBackByIndex() throws Exception {
        Files.createDirectories(workspace.resolve("bin/deep"));
        Files.writeString(workspace.resolve("readme.txt"), "hello");
        Files.write(workspace.resolve("bin/deep/tool.sh"), new byte[1234]);
        Files.setPosixFilePermissions(
                workspace.resolve("bin/deep/tool.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createFile(workspace.resolve("empty"));
        // Executable by others only: the bit the capsule keeps is the owner's.
        Files.setPosixFilePermissions(workspace.resolve("empty"), PosixFilePermissions.fromString("rw-r--r-x"));

        WorkspaceFiles.FileFacts facts = new WorkspaceFiles.Stat(
                        new String[] {"readme.txt", "bin/deep/tool.sh", "empty"})
                .invoke(workspace.toFile(), null);

        assertArrayEquals(new long[] {5, 1234, 0}, facts.sizes());
        assertArrayEquals(new boolean[] {false, true, false}, facts.executable());
    }

    @Test
    void aFileGoneSinceTheListingFailsTheCall() {
        File dir = workspace.toFile();
        assertThrows(IOException.class, () -> new WorkspaceFiles.Stat(new String[] {"gone"}).invoke(dir, null));
    }
}
