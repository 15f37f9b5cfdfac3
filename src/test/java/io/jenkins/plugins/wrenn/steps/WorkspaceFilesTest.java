package io.jenkins.plugins.wrenn.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.files.SourceTree;
import io.jenkins.plugins.wrenn.files.TransferException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The callables that run on the node that holds the workspace, invoked as that node would invoke
 * them. (Writing a file's content returns a remoting stream, which only a real Jenkins has: the
 * writes themselves are {@code ConfinedTargetTest}'s.)
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "makes symbolic links and POSIX modes")
class WorkspaceFilesTest {

    @TempDir
    Path root;

    Path workspace() throws Exception {
        return Files.createDirectories(root.resolve("ws"));
    }

    Path outside() throws Exception {
        return Files.createDirectories(root.resolve("outside"));
    }

    static List<Path> contents(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void oneCallListsSizesOwnerExecutableBitsAndLinksAsLinks() throws Exception {
        Path ws = workspace();
        Files.createDirectories(ws.resolve("bin/deep"));
        Files.writeString(ws.resolve("readme.txt"), "hello");
        Files.write(ws.resolve("bin/deep/tool.sh"), new byte[1234]);
        Files.setPosixFilePermissions(ws.resolve("bin/deep/tool.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createFile(ws.resolve("empty"));
        // Executable by others only: the bit the capsule keeps is the owner's.
        Files.setPosixFilePermissions(ws.resolve("empty"), PosixFilePermissions.fromString("rw-r--r-x"));
        Files.writeString(outside().resolve("id_rsa"), "secret");
        Files.createSymbolicLink(ws.resolve("key"), outside().resolve("id_rsa"));

        SourceTree.Listing listing = new WorkspaceFiles.ListFiles(null, "**", null).invoke(ws.toFile(), null);

        assertEquals(SourceTree.Found.DIRECTORY, listing.found());
        assertEquals(
                List.of(
                        new SourceTree.Entry("bin/deep/tool.sh", 1234, true, null),
                        new SourceTree.Entry("empty", 0, false, null),
                        new SourceTree.Entry(
                                "key", 0, false, outside().resolve("id_rsa").toString()),
                        new SourceTree.Entry("readme.txt", 5, false, null)),
                Arrays.asList(listing.entries()));
    }

    @Test
    void theListingTravelsAsRemotingSerializesIt() throws Exception {
        Path ws = workspace();
        Files.writeString(ws.resolve("a.txt"), "a");
        SourceTree.Listing listing = new WorkspaceFiles.ListFiles(null, "**", null).invoke(ws.toFile(), null);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(listing);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            SourceTree.Listing back = (SourceTree.Listing) in.readObject();
            assertEquals(listing.found(), back.found());
            assertEquals(Arrays.asList(listing.entries()), Arrays.asList(back.entries()));
        }
    }

    @Test
    void aWorkspaceNotMadeYetIsToldApartFromAMissingDirectory() throws Exception {
        File notYet = root.resolve("never-checked-out").toFile();
        assertEquals(
                SourceTree.Found.NO_WORKSPACE,
                new WorkspaceFiles.ListFiles(null, "**", null)
                        .invoke(notYet, null)
                        .found());
        assertEquals(
                SourceTree.Found.NO_DIRECTORY,
                new WorkspaceFiles.ListFiles("no/such", "**", null)
                        .invoke(workspace().toFile(), null)
                        .found());
    }

    @Test
    void theWriteCallableRefusesWhatALinkInTheWorkspaceWouldTakeOutside() throws Exception {
        Path ws = workspace();
        Files.createSymbolicLink(ws.resolve("escape"), Path.of("../outside"));
        File dir = ws.toFile();
        outside();

        TransferException viaDirectory = assertThrows(
                TransferException.class,
                () -> new WorkspaceFiles.Write(null, WorkspaceFiles.Write.Kind.DIRECTORY, "escape/made", null)
                        .invoke(dir, null));
        assertTrue(viaDirectory.getMessage().contains("'escape/made'"), viaDirectory.getMessage());
        TransferException viaLink = assertThrows(
                TransferException.class,
                () -> new WorkspaceFiles.Write(null, WorkspaceFiles.Write.Kind.SYMLINK, "escape/l", "x")
                        .invoke(dir, null));
        assertTrue(viaLink.getMessage().contains("'escape' in the target directory is a symbolic link"));
        TransferException viaInto = assertThrows(
                TransferException.class,
                () -> new WorkspaceFiles.Write("escape", WorkspaceFiles.Write.Kind.DIRECTORY, "d", null)
                        .invoke(dir, null));
        assertTrue(viaInto.getMessage().startsWith("into: 'escape'"), viaInto.getMessage());
        assertEquals(List.of(), contents(outside()));

        assertNull(new WorkspaceFiles.Write("reports", WorkspaceFiles.Write.Kind.DIRECTORY, "unit", null)
                .invoke(dir, null));
        assertTrue(Files.isDirectory(ws.resolve("reports/unit")));
    }
}
