package io.jenkins.plugins.wrenn.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The engine against the test server, which runs the capsule's sh, find and tar for real. */
@ParameterizedClass(name = "{0} server")
@EnumSource(ServerGeneration.class)
@DisabledOnOs(OS.WINDOWS)
class FileTransferTest {

    static final String KEY = "wrn_test_transfer_0123456789";
    static WrennTestServer server;
    static WrennClient client;

    /** Which generation of the real server the test server speaks in this run. */
    @Parameter
    ServerGeneration generation;

    @TempDir
    Path workspace;

    @TempDir
    Path back;

    /** Stands for everything beyond the workspace (on the built-in node, JENKINS_HOME). */
    @TempDir
    Path outside;

    String id;
    Path capsuleDir;
    ByteArrayOutputStream logBytes;
    FileTransfer transfer;

    @BeforeParameterizedClassInvocation
    static void start(ServerGeneration serverGeneration) throws Exception {
        server = WrennTestServer.start(KEY, serverGeneration);
        client = WrennClient.builder(server.baseUrl(), KEY).build();
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        client.close();
        server.close();
    }

    /** The file faults a test set stay with the shared server: none may reach the next test. */
    @AfterEach
    void clearFileFaults() {
        server.files().setFreeSpace(-1);
        server.files().setProxyBodyLimit(-1);
    }

    @BeforeEach
    void capsule() {
        id = server.createCapsule();
        capsuleDir = server.workDir(id);
        logBytes = new ByteArrayOutputStream();
        transfer = new FileTransfer(client, id, null, new PrintStream(logBytes, true, StandardCharsets.UTF_8));
    }

    String log() {
        return logBytes.toString(StandardCharsets.UTF_8);
    }

    /** Brings every file below the capsule directory into {@link #back}, as a step with defaults does. */
    FileTransfer.Summary getAll(String from) throws IOException, InterruptedException {
        return transfer.get(from, AntPatterns.of("**"), AntPatterns.of(""), LocalFiles.target(back), "back", false);
    }

    static void write(Path file, byte[] content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, content);
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** SHA-256 of every regular file below a directory, by relative path. */
    static Map<String, String> checksums(Path dir) throws Exception {
        Map<String, String> sums = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                try (InputStream in = Files.newInputStream(p)) {
                    in.transferTo(new java.security.DigestOutputStream(java.io.OutputStream.nullOutputStream(), sha));
                }
                sums.put(dir.relativize(p).toString(), HexFormat.of().formatHex(sha.digest()));
            }
        }
        return sums;
    }

    void fillWorkspace() throws IOException {
        write(workspace.resolve("src/app/main.py"), "print('hi')\n".getBytes(StandardCharsets.UTF_8));
        write(workspace.resolve("src/data.bin"), random(1_500_000, 1));
        write(
                workspace.resolve("src/" + "long-directory-name/".repeat(6) + "file-with-a-long-name.txt"),
                random(10, 2));
        write(workspace.resolve("src/empty"), new byte[0]);
        write(workspace.resolve("tests/test_x.py"), "def test(): pass\n".getBytes(StandardCharsets.UTF_8));
        write(workspace.resolve("run.sh"), "#!/bin/sh\necho ran\n".getBytes(StandardCharsets.UTF_8));
        workspace.resolve("run.sh").toFile().setExecutable(true, false);
        write(workspace.resolve("secret.env"), "TOKEN=x\n".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void putsOnlyTheIncludedFilesWithPathsBytesAndExecutableBit() throws Exception {
        fillWorkspace();
        Path into = capsuleDir.resolve("workspace");
        List<SourceFile> files = LocalFiles.select(workspace, "src/**, tests/**, run.sh", "**/*.env");

        FileTransfer.Summary done = transfer.put(files, "the workspace", into.toString(), false);

        assertEquals(6, done.files());
        Map<String, String> sent = checksums(workspace);
        sent.remove("secret.env");
        assertEquals(sent, checksums(into), "every byte of every included file, nothing else (the archive is gone)");
        assertTrue(Files.isExecutable(into.resolve("run.sh")));
        assertFalse(Files.isExecutable(into.resolve("src/app/main.py")));
        assertTrue(log().contains("[wrenn] Sent 6 files (1.4 MiB) from the workspace to " + into), log());
        assertEquals(
                1,
                server.requests("POST", ".*/" + id + "/files/stream/write").size(),
                "many files travel as one archive");
    }

    @Test
    void getsTheMatchingFilesBackByteForByte() throws Exception {
        Path reports = capsuleDir.resolve("out/reports");
        write(reports.resolve("unit.xml"), "<testsuite/>".getBytes(StandardCharsets.UTF_8));
        write(reports.resolve("sub/more.xml"), random(700_000, 3));
        write(reports.resolve("sub/tool"), random(100, 4));
        reports.resolve("sub/tool").toFile().setExecutable(true, false);
        write(reports.resolve("log.txt"), "x".getBytes(StandardCharsets.UTF_8));

        FileTransfer.Summary done = transfer.get(
                reports.toString(),
                AntPatterns.of("**/*.xml, sub/tool"),
                AntPatterns.of(""),
                LocalFiles.target(back),
                "the workspace",
                false);

        assertEquals(3, done.files());
        Map<String, String> expected = checksums(reports);
        expected.remove("log.txt");
        assertEquals(expected, checksums(back));
        assertTrue(Files.isExecutable(back.resolve("sub/tool")));
        assertTrue(log().contains("[wrenn] Fetched 3 files"), log());
    }

    @Test
    void aFetchKeepsItsOwnFilesInTheCapsulesTemporaryDirectory() throws Exception {
        write(capsuleDir.resolve("out/a.txt"), "a".getBytes(StandardCharsets.UTF_8));
        Path tmp = server.tmpDir(id);
        // The capsule's TMPDIR made unusable (a file, not a directory, which not even root writes
        // into): a transfer that stages its list and archive there must say so; one that used /tmp
        // regardless of TMPDIR would not notice.
        Files.delete(tmp);
        Files.writeString(tmp, "not a directory");
        try {
            TransferException e = assertThrows(
                    TransferException.class,
                    () -> getAll(capsuleDir.resolve("out").toString()));
            assertTrue(e.getMessage().contains("prepare the transfer"), e.getMessage());
        } finally {
            Files.delete(tmp);
            Files.createDirectory(tmp);
        }
        assertEquals(1, getAll(capsuleDir.resolve("out").toString()).files());
        try (var left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList(), "the transfer's own files are removed");
        }
    }

    @Test
    void theTemporaryDirectoryIsTheCapsulesOwnWhenItIsAnAbsolutePath() {
        assertEquals("/var/tmp", FileTransfer.temporaryDirectory("/var/tmp/"));
        assertEquals("/tmp", FileTransfer.temporaryDirectory("relative/tmp"));
        assertEquals("/tmp", FileTransfer.temporaryDirectory(""));
        assertEquals("/", FileTransfer.temporaryDirectory("/"));
    }

    @Test
    void aRoundTripKeepsEveryByte() throws Exception {
        fillWorkspace();
        Path into = capsuleDir.resolve("ws");
        transfer.put(LocalFiles.select(workspace, "**", ""), "the workspace", into.toString(), false);
        getAll(into.toString());
        assertEquals(checksums(workspace), checksums(back));
    }

    @Test
    void nothingMatchedFailsUnlessAllowed() throws Exception {
        fillWorkspace();
        List<SourceFile> none = LocalFiles.select(workspace, "nothing/**", "");
        String into = capsuleDir.resolve("ws").toString();
        TransferException e = assertThrows(
                TransferException.class, () -> transfer.put(none, "the workspace matching 'nothing/**'", into, false));
        assertTrue(e.getMessage().contains("No files in the workspace matching 'nothing/**'"), e.getMessage());
        assertEquals(0, transfer.put(none, "the workspace", into, true).files());

        Files.createDirectories(capsuleDir.resolve("empty"));
        String from = capsuleDir.resolve("empty").toString();
        TransferException get = assertThrows(
                TransferException.class,
                () -> transfer.get(
                        from, AntPatterns.of("*.xml"), AntPatterns.of(""), LocalFiles.target(back), "back", false));
        assertTrue(get.getMessage().contains("No files in " + from), get.getMessage());
        assertEquals(
                0,
                transfer.get(from, AntPatterns.of("*.xml"), AntPatterns.of(""), LocalFiles.target(back), "back", true)
                        .files());
    }

    @Test
    void aMissingCapsuleDirectoryIsNamed() {
        String from = capsuleDir.resolve("no/such/dir").toString();
        TransferException e = assertThrows(TransferException.class, () -> getAll(from));
        assertTrue(e.getMessage().contains("The directory " + from + " does not exist"), e.getMessage());
    }

    @Test
    void tooLargeIsNamedAndNothingIsUnpacked() throws Exception {
        fillWorkspace();
        Path into = capsuleDir.resolve("ws");
        server.files().setProxyBodyLimit(100_000);
        TransferException e = assertThrows(
                TransferException.class,
                () -> transfer.put(LocalFiles.select(workspace, "**", ""), "the workspace", into.toString(), false));
        assertTrue(e.getMessage().contains("too large (HTTP 413"), e.getMessage());
        // Neither generation limits the streaming upload: only a proxy answers 413 there.
        assertTrue(
                e.getMessage().startsWith("A proxy in front of the Wrenn server refused to send the files"),
                e.getMessage());
        assertTrue(e.getMessage().contains(into.toString()), e.getMessage());
        assertTrue(!Files.exists(into) || checksums(into).isEmpty(), "nothing unpacked, no archive left");
        assertFalse(log().contains("[wrenn] Sent"), log());
    }

    @Test
    void aDiskThatFillsPartWayIsNamedAsTheLikelyCauseAndNoArchiveIsLeft() throws Exception {
        // The real server answers 502 "failed to stream file chunk" (v0.1.5) or host_unreachable
        // (newer), or the connection breaks: nothing says the disk is full.
        fillWorkspace();
        Path into = capsuleDir.resolve("ws");
        server.files().setFreeSpace(50_000);
        TransferException e = assertThrows(
                TransferException.class,
                () -> transfer.put(LocalFiles.select(workspace, "**", ""), "the workspace", into.toString(), false));
        // Go closes after its answer, which a client still sending may never read.
        assertTrue(
                e.getMessage().startsWith("Could not send the files to " + into)
                        || e.getMessage().startsWith("The connection broke while trying to send the files to " + into),
                e.getMessage());
        assertTrue(
                e.getMessage().contains("A full disk in the capsule also breaks an upload off this way"),
                e.getMessage());
        assertTrue(e.getMessage().contains("df -h " + into), e.getMessage());
        try (Stream<Path> left = Files.list(into)) {
            assertEquals(List.of(), left.toList(), "the partly written archive is removed");
        }
        assertFalse(log().contains("[wrenn] Sent"), log());
    }

    @Test
    void aDiskFullAnswerInWordsIsNamedAsAFullDisk() throws Exception {
        // Only v0.1.5 passes envd's 507 on in words, and only when the rest of the upload was
        // already on its way; the newer server says internal_error.
        write(workspace.resolve("small.txt"), random(3_000, 3));
        Path into = capsuleDir.resolve("ws");
        server.files().setFreeSpace(100);
        TransferException e = assertThrows(
                TransferException.class,
                () -> transfer.put(LocalFiles.select(workspace, "**", ""), "the workspace", into.toString(), false));
        if (generation == ServerGeneration.V0_1_5) {
            assertTrue(e.getMessage().contains("The disk of capsule " + id + " is full"), e.getMessage());
            assertTrue(e.getMessage().contains("not enough disk space available"), e.getMessage());
        } else {
            assertTrue(e.getMessage().contains("Server error 500"), e.getMessage());
            assertTrue(e.getMessage().contains("df -h " + into), e.getMessage());
        }
    }

    @Test
    void anUploadCutPartWayNeverReportsSuccess() throws Exception {
        fillWorkspace();
        server.files().cutNextUploadAfter(300_000);
        TransferException e = assertThrows(
                TransferException.class,
                () -> transfer.put(
                        LocalFiles.select(workspace, "**", ""),
                        "the workspace",
                        capsuleDir.resolve("ws").toString(),
                        false));
        assertTrue(e.getMessage().contains("incomplete"), e.getMessage());
        assertFalse(log().contains("[wrenn] Sent"), log());
    }

    @Test
    void aDownloadCutOrEndedEarlyNeverReportsSuccess() throws Exception {
        Path dir = capsuleDir.resolve("big");
        write(dir.resolve("a.bin"), random(1_000_000, 5));
        server.files().cutNextDownloadAfter(400_000);
        TransferException cut = assertThrows(TransferException.class, () -> getAll(dir.toString()));
        assertTrue(cut.getMessage().contains("incomplete"), cut.getMessage());

        // The real server ends the answer cleanly when the capsule fails part-way.
        server.files().endNextDownloadAfter(400_000);
        TransferException ended = assertThrows(TransferException.class, () -> getAll(dir.toString()));
        assertTrue(ended.getMessage().contains("was cut short: 400000 of"), ended.getMessage());
        assertFalse(log().contains("[wrenn] Fetched"), log());
    }

    @Test
    void aLinkPointingOutOfTheTargetIsRefusedAndNamed() throws Exception {
        Path dir = capsuleDir.resolve("links");
        write(dir.resolve("ok.txt"), "ok".getBytes(StandardCharsets.UTF_8));
        Files.createSymbolicLink(dir.resolve("evil"), Path.of("/etc/passwd"));
        TransferException e = assertThrows(TransferException.class, () -> getAll(dir.toString()));
        assertTrue(e.getMessage().contains("'evil' -> '/etc/passwd'"), e.getMessage());
        assertFalse(Files.exists(back.resolve("evil"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    static List<Path> contents(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void aLinkTheWorkspaceHoldsIsNotWrittenThrough() throws Exception {
        Path dir = capsuleDir.resolve("out");
        write(dir.resolve("escape/pwned.txt"), "pwned".getBytes(StandardCharsets.UTF_8));
        Files.createSymbolicLink(back.resolve("escape"), outside);
        TransferException e = assertThrows(TransferException.class, () -> getAll(dir.toString()));
        assertTrue(e.getMessage().startsWith("Refused 'escape/pwned.txt' from the capsule: 'escape'"), e.getMessage());
        assertEquals(List.of(), contents(outside));
    }

    @Test
    void aCheckedOutLinkAndALinkFromTheCapsuleCannotBeCombinedToClimb() throws Exception {
        // The workspace holds p/q -> .; the capsule sends p/q/r -> ../.. and then p/r/x.
        Path dir = capsuleDir.resolve("climb");
        Files.createDirectories(dir.resolve("p/q"));
        Files.createSymbolicLink(dir.resolve("p/q/r"), Path.of("../.."));
        write(dir.resolve("p/r/x"), "x".getBytes(StandardCharsets.UTF_8));
        Path ws = Files.createDirectories(outside.resolve("ws"));
        Files.createDirectories(ws.resolve("p"));
        Files.createSymbolicLink(ws.resolve("p/q"), Path.of("."));
        TransferException e = assertThrows(
                TransferException.class,
                () -> transfer.get(
                        dir.toString(), AntPatterns.of("**"), AntPatterns.of(""), LocalFiles.target(ws), "ws", false));
        assertTrue(e.getMessage().contains("'p/q' in the target directory is a symbolic link"), e.getMessage());
        assertEquals(List.of(ws), contents(outside), "nothing beside the workspace");
    }

    @Test
    void twoFetchesInARowCannotWriteThroughTheLinkTheFirstLeft() throws Exception {
        Path first = capsuleDir.resolve("first");
        Files.createDirectories(first.resolve("p"));
        Files.createSymbolicLink(first.resolve("p/q"), Path.of("."));
        Path second = capsuleDir.resolve("second");
        Files.createDirectories(second.resolve("p/q"));
        Files.createSymbolicLink(second.resolve("p/q/r"), Path.of("../.."));
        write(second.resolve("p/r/x"), "x".getBytes(StandardCharsets.UTF_8));
        Path ws = Files.createDirectories(outside.resolve("ws"));

        transfer.get(first.toString(), AntPatterns.of("**"), AntPatterns.of(""), LocalFiles.target(ws), "ws", false);
        assertTrue(Files.isSymbolicLink(ws.resolve("p/q")), "the first fetch leaves a link that points inside");
        TransferException e = assertThrows(
                TransferException.class,
                () -> transfer.get(
                        second.toString(),
                        AntPatterns.of("**"),
                        AntPatterns.of(""),
                        LocalFiles.target(ws),
                        "ws",
                        false));
        assertTrue(e.getMessage().contains("'p/q' in the target directory is a symbolic link"), e.getMessage());
        assertEquals(List.of(ws), contents(outside), "nothing beside the workspace");
    }

    @Test
    void theCaseInsensitiveRecipeIsRefusedInOneArchive() throws Exception {
        // On a case-insensitive agent, d1/d2/a is the link d1/d2/A.
        Path dir = capsuleDir.resolve("case");
        Files.createDirectories(dir.resolve("d1/d2/a"));
        Files.createSymbolicLink(dir.resolve("d1/d2/A"), Path.of("../.."));
        Files.createSymbolicLink(dir.resolve("d1/d2/a/x"), Path.of("../../.."));
        TransferException e = assertThrows(TransferException.class, () -> getAll(dir.toString()));
        assertTrue(e.getMessage().contains("passes through the symbolic link 'd1/d2/A'"), e.getMessage());
    }

    @Test
    void aLinkToAFileOrDirectoryOutsideIsSentAsALinkNeverItsContent() throws Exception {
        String secret = "-----BEGIN OPENSSH PRIVATE KEY-----";
        Files.writeString(outside.resolve("id_rsa"), secret);
        Files.createDirectories(outside.resolve("secrets"));
        Files.writeString(outside.resolve("secrets/master.key"), secret);
        write(workspace.resolve("src/app.py"), "print()".getBytes(StandardCharsets.UTF_8));
        Files.createSymbolicLink(workspace.resolve("k"), outside.resolve("id_rsa"));
        Files.createSymbolicLink(workspace.resolve("home"), outside.resolve("secrets"));
        Path into = capsuleDir.resolve("ws");

        FileTransfer.Summary sent =
                transfer.put(LocalFiles.select(workspace, "**", ""), "the workspace", into.toString(), false);

        assertEquals(3, sent.files());
        assertEquals(7, sent.bytes(), "only app.py's bytes travel");
        assertEquals(outside.resolve("id_rsa"), Files.readSymbolicLink(into.resolve("k")));
        assertEquals(outside.resolve("secrets"), Files.readSymbolicLink(into.resolve("home")));
        try (Stream<Path> all = Files.walk(into)) {
            for (Path p : all.filter(f -> Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                    .toList()) {
                assertFalse(Files.readString(p).contains(secret), p + " holds the secret");
            }
        }
    }

    @Test
    void aLinkInsideComesBackAsALink() throws Exception {
        Path dir = capsuleDir.resolve("inner");
        write(dir.resolve("real/file.txt"), "data".getBytes(StandardCharsets.UTF_8));
        Files.createSymbolicLink(dir.resolve("alias"), Path.of("real/file.txt"));
        getAll(dir.toString());
        assertTrue(Files.isSymbolicLink(back.resolve("alias")));
        assertEquals("data", Files.readString(back.resolve("alias")));
    }

    @Test
    void hardLinkedFilesComeBackAsTwoFiles() throws Exception {
        // tar stores the second name as a link to the first; it comes back as a hard link.
        Path dir = capsuleDir.resolve("hard");
        write(dir.resolve("a.bin"), random(20_000, 8));
        Files.createLink(dir.resolve("b.bin"), dir.resolve("a.bin"));
        FileTransfer.Summary done = getAll(dir.toString());
        assertEquals(2, done.files());
        assertEquals(checksums(dir), checksums(back));
    }

    @Test
    void aNameWithALineBreakIsRefusedByName() throws Exception {
        Path dir = capsuleDir.resolve("odd");
        write(dir.resolve("two\nlines.txt"), new byte[1]);
        TransferException e = assertThrows(TransferException.class, () -> getAll(dir.toString()));
        assertTrue(e.getMessage().contains("two\\nlines.txt"), e.getMessage());
    }

    @Test
    void aFileThatChangesWhileSentFailsNamingIt() throws Exception {
        write(workspace.resolve("grows.log"), random(1000, 6));
        List<SourceFile> files = LocalFiles.select(workspace, "**", "");
        write(workspace.resolve("grows.log"), random(5000, 6));
        TransferException e = assertThrows(
                TransferException.class,
                () -> transfer.put(
                        files, "the workspace", capsuleDir.resolve("ws").toString(), false));
        assertTrue(e.getMessage().contains("grows.log grew while it was being sent"), e.getMessage());
    }

    @Test
    void longTransfersShowProgress() throws Exception {
        write(workspace.resolve("big.bin"), random(3_000_000, 7));
        transfer.progressEvery(Duration.ofNanos(1));
        transfer.put(
                LocalFiles.select(workspace, "**", ""),
                "the workspace",
                capsuleDir.resolve("ws").toString(),
                false);
        assertTrue(log().contains("[wrenn] sent "), log());
        assertTrue(log().contains(" of 2.9 MiB ("), log());
    }

    @Test
    void aPausedCapsuleIsRefusedInTheStepsWords() throws Exception {
        fillWorkspace();
        server.setStatus(id, "paused");
        TransferException e = assertThrows(
                TransferException.class,
                () -> transfer.put(
                        LocalFiles.select(workspace, "**", ""),
                        "the workspace",
                        capsuleDir.resolve("ws").toString(),
                        false));
        assertTrue(e.getMessage().contains(id), e.getMessage());
        assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("paused"), e.getMessage());
    }
}
