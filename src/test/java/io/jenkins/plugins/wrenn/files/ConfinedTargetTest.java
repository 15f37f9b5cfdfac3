package io.jenkins.plugins.wrenn.files;

import static io.jenkins.plugins.wrenn.files.TarUnpackerTest.archive;
import static io.jenkins.plugins.wrenn.files.TarUnpackerTest.entry;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code wrennGet} writes, whatever the workspace already holds: each recipe of a write
 * through a link, on the real file system, with the archive a hostile capsule would send. The
 * directory {@code outside} stands for everything beyond the workspace (on the built-in node,
 * {@code JENKINS_HOME}); every test checks that nothing reached it or the workspace's parent.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "makes symbolic links")
class ConfinedTargetTest {

    static final byte[] PAYLOAD = "pwned".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path root;

    Path ws;
    Path outside;

    @BeforeEach
    void dirs() throws IOException {
        ws = Files.createDirectories(root.resolve("ws"));
        outside = Files.createDirectories(root.resolve("outside"));
    }

    static List<String> contents(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Nothing outside the workspace: the outside directory is empty and the parent holds only the two. */
    void assertNothingOutside() throws IOException {
        assertEquals(List.of(), contents(outside), "the directory outside the workspace");
        assertEquals(List.of("outside", "ws"), contents(root), "the workspace's parent");
    }

    /** Unpacks as wrennGet does: the archive's checks, then the writes on the node. */
    void unpack(Path into, byte[] archive) throws IOException {
        try (TarUnpacker u = new TarUnpacker(ConfinedTarget.open(into, null))) {
            u.write(archive, 0, archive.length);
            u.finish();
        }
    }

    static byte[] file(String name) {
        return entry(name, '0', PAYLOAD, null);
    }

    static byte[] link(String name, String target) {
        return entry(name, '2', new byte[0], target);
    }

    @Test
    void aLinkTheWorkspaceHoldsIsNotWrittenThrough() throws Exception {
        // Checked out by a pull request, or left by an earlier step.
        Files.createSymbolicLink(ws.resolve("escape"), Path.of("../outside"));
        TransferException e =
                assertThrows(TransferException.class, () -> unpack(ws, archive(file("escape/pwned.txt"))));
        assertEquals(
                "Refused 'escape/pwned.txt' from the capsule: 'escape' in the target directory is a symbolic link,"
                        + " and nothing is written through a link or in place of a directory",
                e.getMessage());
        assertNothingOutside();
    }

    @Test
    void aCheckedOutLinkToItsOwnDirectoryCannotBeUsedToClimb() throws Exception {
        Files.createDirectories(ws.resolve("p"));
        Files.createSymbolicLink(ws.resolve("p/q"), Path.of("."));
        TransferException e =
                assertThrows(TransferException.class, () -> unpack(ws, archive(link("p/q/r", "../.."), file("p/r/x"))));
        assertTrue(
                e.getMessage()
                        .startsWith("Refused 'p/q/r' from the capsule: 'p/q' in the target directory"
                                + " is a symbolic link"),
                e.getMessage());
        assertFalse(Files.exists(ws.resolve("p/r"), LinkOption.NOFOLLOW_LINKS));
        assertNothingOutside();
    }

    @Test
    void aLinkLeftByAnEarlierFetchIsNotWrittenThroughByTheNext() throws Exception {
        // The first fetch may leave a link that points inside: it is created, in its shortest form.
        unpack(ws, archive(link("p/q", "../p/./")));
        assertEquals(Path.of("."), Files.readSymbolicLink(ws.resolve("p/q")));

        TransferException e =
                assertThrows(TransferException.class, () -> unpack(ws, archive(link("p/q/r", "../.."), file("p/r/x"))));
        assertTrue(e.getMessage().contains("'p/q' in the target directory is a symbolic link"), e.getMessage());
        TransferException file = assertThrows(TransferException.class, () -> unpack(ws, archive(file("p/q/x"))));
        assertTrue(file.getMessage().startsWith("Refused 'p/q/x'"), file.getMessage());
        assertNothingOutside();
    }

    @Test
    void aLinkAtTheEntrysOwnNameIsReplacedNotWrittenThrough() throws Exception {
        Files.createSymbolicLink(ws.resolve("report.xml"), outside.resolve("report.xml"));
        unpack(ws, archive(file("report.xml")));
        assertFalse(Files.isSymbolicLink(ws.resolve("report.xml")));
        assertArrayEquals(PAYLOAD, Files.readAllBytes(ws.resolve("report.xml")));
        assertNothingOutside();
    }

    @Test
    void anExistingFileIsReplacedByANewOneNotWrittenInPlace() throws Exception {
        // A hard link to a file outside would otherwise carry the write there.
        Path elsewhere = Files.writeString(root.resolve("elsewhere"), "kept");
        Files.createLink(ws.resolve("data.txt"), elsewhere);
        unpack(ws, archive(file("data.txt")));
        assertArrayEquals(PAYLOAD, Files.readAllBytes(ws.resolve("data.txt")));
        assertEquals("kept", Files.readString(elsewhere));
    }

    @Test
    void intoThroughALinkIsRefused() throws Exception {
        Files.createSymbolicLink(ws.resolve("reports"), Path.of("../outside"));
        TransferException e = assertThrows(TransferException.class, () -> ConfinedTarget.open(ws, "reports/unit"));
        assertEquals(
                "into: 'reports/unit': 'reports' in the workspace is a symbolic link; files are only written into"
                        + " directories reached without links",
                e.getMessage());
        assertNothingOutside();
    }

    @Test
    void aLinkWhoseWayPassesThroughALinkOutOnDiskIsRefused() throws Exception {
        Files.createSymbolicLink(ws.resolve("abs"), outside);
        Files.createDirectories(ws.resolve("a"));
        Files.createSymbolicLink(ws.resolve("a/rel"), Path.of("../../outside"));
        TransferException viaAbsolute =
                assertThrows(TransferException.class, () -> unpack(ws, archive(link("l", "abs/secret"))));
        assertEquals(
                "Refused the symbolic link 'l' -> 'abs/secret' from the capsule: on its way, 'abs' in the target"
                        + " directory is a link that leads outside it",
                viaAbsolute.getMessage());
        TransferException viaRelative =
                assertThrows(TransferException.class, () -> unpack(ws, archive(link("m", "a/rel/secret"))));
        assertTrue(viaRelative.getMessage().contains("on its way, 'a/rel'"), viaRelative.getMessage());
        assertFalse(Files.exists(ws.resolve("l"), LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(ws.resolve("m"), LinkOption.NOFOLLOW_LINKS));
        assertNothingOutside();
    }

    @Test
    void linksInsideAreCreatedInTheirShortestFormInAnyOrderAndLinksOutAreRefused() throws Exception {
        // A library's chain of links, the link first: it dangles until its target arrives.
        unpack(
                ws,
                archive(
                        link("lib/libz.so", "libz.so.1"),
                        link("bin/z", "../lib/./x/../libz.so"),
                        file("lib/libz.so.1")));
        assertEquals(Path.of("libz.so.1"), Files.readSymbolicLink(ws.resolve("lib/libz.so")));
        assertEquals(Path.of("../lib/libz.so"), Files.readSymbolicLink(ws.resolve("bin/z")));
        assertArrayEquals(PAYLOAD, Files.readAllBytes(ws.resolve("bin/z")));

        ConfinedTarget target = ConfinedTarget.open(ws, null);
        // Without the archive's own checks, the node still refuses a link out.
        TransferException e = assertThrows(TransferException.class, () -> target.symlink("a/up", "../../outside"));
        assertTrue(e.getMessage().contains("points outside the target directory"), e.getMessage());
        assertThrows(TransferException.class, () -> target.symlink("abs", outside.toString()));
        assertThrows(TransferException.class, () -> target.file("../outside/x", false));
        assertNothingOutside();
    }

    @Test
    void aHardLinkRepeatsOnlyAFileOfTheTargetNeverALink() throws Exception {
        Files.writeString(outside.resolve("secret"), "secret");
        Files.createSymbolicLink(ws.resolve("f"), outside.resolve("secret"));
        ConfinedTarget target = ConfinedTarget.open(ws, null);
        TransferException e = assertThrows(TransferException.class, () -> target.hardLink("f", "g"));
        assertTrue(e.getMessage().contains("'f' in the target directory is a symbolic link"), e.getMessage());
        assertFalse(Files.exists(ws.resolve("g")));

        try (OutputStream out = target.file("a", true)) {
            out.write(PAYLOAD);
        }
        target.hardLink("a", "sub/b");
        assertArrayEquals(PAYLOAD, Files.readAllBytes(ws.resolve("sub/b")));
        assertTrue(Files.isExecutable(ws.resolve("a")));
    }

    /**
     * A hard-link entry costs the capsule one 512-byte header. Written as a copy, one large file and
     * a thousand such entries wrote a thousand times its size to the agent's disk (on the built-in
     * node, the disk of JENKINS_HOME). It is a hard link on disk, as tar makes it.
     */
    @Test
    void hardLinkEntriesWriteNoByteTwice() throws Exception {
        List<byte[]> entries = new java.util.ArrayList<>();
        entries.add(entry("big.bin", '0', new byte[1 << 20], null));
        for (int i = 0; i < 50; i++) {
            entries.add(entry("copies/" + i + ".bin", '1', new byte[0], "big.bin"));
        }
        entries.add(entry("big.bin", '1', new byte[0], "big.bin"));
        unpack(ws, archive(entries.toArray(new byte[0][])));
        for (int i = 0; i < 50; i++) {
            assertTrue(Files.isSameFile(ws.resolve("big.bin"), ws.resolve("copies/" + i + ".bin")), "copy " + i);
        }
        assertEquals(1 << 20, Files.size(ws.resolve("big.bin")));
        assertNothingOutside();

        TransferException e = assertThrows(
                TransferException.class,
                () -> unpack(ws, archive(entry("d", '5', new byte[0], null), entry("h", '1', new byte[0], "d"))));
        assertTrue(e.getMessage().contains("'d' is a directory"), e.getMessage());
    }

    @Test
    void aDirectoryEntryThroughALinkIsRefusedAndADirectoryInTheWayFailsTheFile() throws Exception {
        Files.createSymbolicLink(ws.resolve("d"), outside);
        assertThrows(TransferException.class, () -> unpack(ws, archive(entry("d/sub", '5', new byte[0], null))));
        Files.createDirectories(ws.resolve("taken"));
        TransferException e = assertThrows(TransferException.class, () -> unpack(ws, archive(file("taken"))));
        assertTrue(e.getMessage().contains("holds a directory of that name"), e.getMessage());
        assertNothingOutside();
    }

    /**
     * The case-insensitive recipe ({@code d1/d2/A -> ../..} then {@code d1/d2/a/x -> ../../..}),
     * on Linux: the archive's own check folds case, so it is refused before anything is written.
     */
    @Test
    void theCaseInsensitiveRecipeIsRefusedByNameInOneArchive() throws Exception {
        TransferException e = assertThrows(
                TransferException.class,
                () -> unpack(ws, archive(link("d1/d2/A", "../.."), link("d1/d2/a/x", "../../.."))));
        assertEquals(
                "Refused the file name 'd1/d2/a/x' from the capsule: it passes through the symbolic link 'd1/d2/A'",
                e.getMessage());
        assertNothingOutside();
    }

    /**
     * The same recipe where the file system itself is case-insensitive (Jimfs set up as macOS
     * does: names compared without case, Unicode-normalised), without the archive's check: the
     * walk asks the file system, which finds the link {@code A} for {@code a}. On Linux this runs
     * on an in-memory file system; a macOS or Windows agent does the same lookups on disk.
     */
    @Test
    void onACaseInsensitiveFileSystemTheDiskFindsTheLinkUnderAnotherCase() throws Exception {
        try (FileSystem mac = Jimfs.newFileSystem(Configuration.osX())) {
            Path home = Files.createDirectories(mac.getPath("/home"));
            Path workspace = Files.createDirectories(home.resolve("ws"));
            ConfinedTarget target = ConfinedTarget.open(workspace, null);

            target.symlink("d1/d2/A", "../..");
            assertTrue(
                    Files.exists(workspace.resolve("d1/d2/a"), LinkOption.NOFOLLOW_LINKS),
                    "the file system folds case");
            TransferException e = assertThrows(TransferException.class, () -> target.symlink("d1/d2/a/x", "../../.."));
            assertTrue(e.getMessage().contains("'d1/d2/a' in the target directory is a symbolic link"), e.getMessage());
            assertThrows(TransferException.class, () -> target.file("D1/d2/a/pwned", false));
            // A name the file system normalises (NFD) to that of the link is the link too.
            target.symlink("caf\u00e9", ".");
            assertThrows(TransferException.class, () -> target.file("cafe\u0301/x", false));
            try (Stream<Path> s = Files.list(home)) {
                assertEquals(List.of(workspace), s.toList(), "nothing beside the workspace");
            }
        }
    }

    /** A named pipe, as a pull request's build could leave: opening one to write blocks until a reader comes. */
    static Path fifo(Path p) throws IOException, InterruptedException {
        Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        assertEquals(0, mk.waitFor());
        return p;
    }

    @Test
    void aPipeAtTheEntrysNameIsReplacedNeverOpened() throws Exception {
        fifo(ws.resolve("report.xml"));
        // Were the pipe opened to write, this would block for ever: no reader ever comes.
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                java.time.Duration.ofSeconds(60), () -> unpack(ws, archive(file("report.xml"))));
        assertTrue(Files.isRegularFile(ws.resolve("report.xml"), LinkOption.NOFOLLOW_LINKS));
        assertArrayEquals(PAYLOAD, Files.readAllBytes(ws.resolve("report.xml")));
    }

    @Test
    void aPipeOnTheWayToAnEntryIsRefused() throws Exception {
        fifo(ws.resolve("reports"));
        TransferException e = assertThrows(
                TransferException.class,
                () -> org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                        java.time.Duration.ofSeconds(60), () -> unpack(ws, archive(file("reports/unit.xml")))));
        assertTrue(e.getMessage().contains("'reports' in the target directory is a junction, a pipe"), e.getMessage());
    }

    @Test
    void aHardLinkEntryNeverCopiesAPipeOrAFileTheArchiveDidNotWrite() throws Exception {
        fifo(ws.resolve("p"));
        Files.writeString(ws.resolve("old.txt"), "from the pull request");
        // Only a file of the same archive may be repeated: neither the pipe nor the old file is read.
        for (String existing : new String[] {"p", "old.txt"}) {
            TransferException e = assertThrows(
                    TransferException.class,
                    () -> org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                            java.time.Duration.ofSeconds(60),
                            () -> unpack(ws, archive(entry("h", '1', new byte[0], existing)))));
            assertTrue(e.getMessage().contains("does not repeat a file of the same transfer"), e.getMessage());
        }
        assertFalse(Files.exists(ws.resolve("h"), LinkOption.NOFOLLOW_LINKS));
    }
}
