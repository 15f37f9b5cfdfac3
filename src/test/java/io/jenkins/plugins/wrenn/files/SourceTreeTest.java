package io.jenkins.plugins.wrenn.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code wrennPut} lists and reads: never anything outside the workspace, whatever links a
 * pull request commits ({@code k -> /home/jenkins/.ssh/id_rsa}, {@code d -> /var/jenkins_home}).
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "makes symbolic links")
class SourceTreeTest {

    static final String SECRET = "-----BEGIN OPENSSH PRIVATE KEY-----";

    @TempDir
    Path root;

    Path ws;
    Path outside;

    @BeforeEach
    void dirs() throws IOException {
        ws = Files.createDirectories(root.resolve("ws"));
        outside = Files.createDirectories(root.resolve("outside"));
        Files.writeString(outside.resolve("id_rsa"), SECRET);
        Files.createDirectories(outside.resolve("secrets"));
        Files.writeString(outside.resolve("secrets/master.key"), SECRET);
    }

    static List<String> paths(SourceTree.Listing listing) {
        return Arrays.stream(listing.entries()).map(SourceTree.Entry::path).toList();
    }

    /** The archive wrennPut would send of these files. */
    static String archive(List<SourceFile> files) throws IOException {
        try (InputStream in = new TarStream(files, 0, n -> {})) {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void aLinkToAFileOutsideIsSentAsALinkAndItsTargetIsNeverRead() throws Exception {
        Files.writeString(ws.resolve("app.py"), "print()");
        Files.createSymbolicLink(ws.resolve("k"), outside.resolve("id_rsa"));

        SourceTree.Listing listing = SourceTree.list(ws, null, "**", null);
        assertEquals(
                List.of(
                        new SourceTree.Entry("app.py", 7, false, null),
                        new SourceTree.Entry(
                                "k", 0, false, outside.resolve("id_rsa").toString())),
                Arrays.asList(listing.entries()));

        List<SourceFile> files = SourceTree.files(listing, path -> {
            if (!path.equals("app.py")) {
                throw new AssertionError("read " + path);
            }
            return SourceTree.open(ws, null, path);
        });
        String tar = archive(files);
        assertFalse(tar.contains(SECRET), "the key's content is not in the archive");
        assertTrue(tar.contains(outside.resolve("id_rsa").toString()), "the link's target text is");
    }

    @Test
    void aLinkToADirectoryOutsideIsNotEntered() throws Exception {
        Files.createSymbolicLink(ws.resolve("home"), outside);
        Files.createDirectories(ws.resolve("src"));
        Files.writeString(ws.resolve("src/a.py"), "a");

        SourceTree.Listing listing = SourceTree.list(ws, null, "**", null);
        assertEquals(List.of("home", "src/a.py"), paths(listing));
        assertEquals(outside.toString(), listing.entries()[0].linkTarget());
        assertFalse(archive(SourceTree.files(listing, path -> SourceTree.open(ws, null, path)))
                .contains(SECRET));
    }

    @Test
    void aDirThroughALinkIsRefusedNamingIt() throws Exception {
        Files.createSymbolicLink(ws.resolve("keys"), outside);
        TransferException e = assertThrows(TransferException.class, () -> SourceTree.list(ws, "keys", "**", null));
        assertEquals(
                "dir: 'keys': 'keys' in the workspace is a symbolic link; files are only sent from directories"
                        + " reached without links",
                e.getMessage());
        assertThrows(TransferException.class, () -> SourceTree.list(ws, "keys/secrets", "**", null));
    }

    @Test
    void aFileThatBecameALinkSinceItWasListedIsNotRead() throws Exception {
        Files.writeString(ws.resolve("report.txt"), "fine");
        SourceTree.Listing listing = SourceTree.list(ws, null, "**", null);
        Files.delete(ws.resolve("report.txt"));
        Files.createSymbolicLink(ws.resolve("report.txt"), outside.resolve("id_rsa"));
        TransferException e = assertThrows(TransferException.class, () -> SourceTree.open(ws, null, "report.txt"));
        assertTrue(e.getMessage().contains("is a symbolic link since the files were listed"), e.getMessage());
        assertEquals(List.of("report.txt"), paths(listing));
    }

    @Test
    void defaultExcludesAndPatternsApplyAsInArchiveArtifacts() throws Exception {
        Files.createDirectories(ws.resolve(".git/objects"));
        Files.writeString(ws.resolve(".git/config"), "x");
        Files.writeString(ws.resolve(".gitignore"), "x");
        Files.createDirectories(ws.resolve("src/sub"));
        Files.writeString(ws.resolve("src/sub/b.py"), "b");
        Files.writeString(ws.resolve("src/sub/b.py~"), "b");
        Files.writeString(ws.resolve("src/c.env"), "c");
        Files.createDirectories(ws.resolve("node_modules/x"));
        Files.writeString(ws.resolve("node_modules/x/i.js"), "i");

        assertEquals(
                List.of("node_modules/x/i.js", "src/c.env", "src/sub/b.py"),
                paths(SourceTree.list(ws, null, "**", null)));
        assertEquals(List.of("src/sub/b.py"), paths(SourceTree.list(ws, null, "src/", "**/*.env")));
        assertEquals(List.of("sub/b.py"), paths(SourceTree.list(ws, "src", "**/*.py", null)));
    }

    @Test
    void aWorkspaceNotMadeYetIsToldApartFromAMissingDirectory() throws Exception {
        assertEquals(
                SourceTree.Found.NO_WORKSPACE,
                SourceTree.list(root.resolve("new"), null, "**", null).found());
        assertEquals(
                SourceTree.Found.NO_DIRECTORY,
                SourceTree.list(ws, "missing", "**", null).found());
        Files.writeString(ws.resolve("file"), "x");
        assertEquals(
                SourceTree.Found.NO_DIRECTORY,
                SourceTree.list(ws, "file", "**", null).found());
        assertEquals(0, SourceTree.list(ws, null, "nothing/**", null).entries().length);
    }

    @Test
    void aPipeInTheWorkspaceIsNeitherListedNorOpened() throws Exception {
        Files.writeString(ws.resolve("app.py"), "print()");
        Process mk = new ProcessBuilder("mkfifo", ws.resolve("pipe").toString())
                .inheritIO()
                .start();
        assertEquals(0, mk.waitFor());
        // Opening the pipe to read would block until a writer comes, which never does.
        String sent = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                java.time.Duration.ofSeconds(60), () -> archive(LocalFiles.select(ws, "**", "")));
        assertEquals(List.of("app.py"), paths(SourceTree.list(ws, null, "**", "")));
        assertTrue(sent.contains("print()"), sent);
    }

    /**
     * A hard link is one file with two names: its content is sent, as a regular file's. Only a
     * program running on the node can make one (a checkout makes none, and wrennGet links only
     * files of its own archive), and such a program can read the file itself.
     */
    @Test
    void aHardLinkIsSentAsTheRegularFileItIs() throws Exception {
        Files.createLink(ws.resolve("copy"), outside.resolve("id_rsa"));
        assertEquals(List.of("copy"), paths(SourceTree.list(ws, null, "**", "")));
    }
}
